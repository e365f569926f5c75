import { health } from './ru/health';
import type { Messages } from './en';
import { shell } from './ru/shell';
import { hosts } from './ru/hosts';
import { tenants } from './ru/tenants';
import { backups } from './ru/backups';
import { updates } from './ru/updates';
import { logs } from './ru/logs';
import { alerts } from './ru/alerts';
import { knowledge } from './ru/knowledge';
import { costs } from './ru/costs';
import { inbox } from './ru/inbox';
import { privacy } from './ru/privacy';

/** Russian UI strings: the same keys as en.ts, one file per feature (`ru/<feature>.ts`). */
export const ru: Messages = {
  ...shell,
  ...hosts,
  ...tenants,
  ...backups,
  ...updates,
  ...health,
  ...logs,
  ...alerts,
  ...knowledge,
  ...costs,
  ...inbox,
  ...privacy,
};

/**
 * Russian versions of the validation messages defined in src/shared/contract.ts, keyed by the
 * English text. A message not listed here is shown as the contract wrote it.
 */
export const ruSchemaMessages: Record<string, string> = {
  'A day is written YYYY-MM-DD.': 'День записывается как ГГГГ-ММ-ДД.',
  'Give the person a name.': 'Укажите имя человека.',
  'A conversation id is a UUID.': 'Идентификатор диалога — это UUID.',
  'Write the reply.': 'Напишите ответ.',
  'A reply is at most 4096 characters.': 'Ответ — не длиннее 4096 символов.',
  'A name is at most 64 characters.': 'Имя — не длиннее 64 символов.',
  'A name is lower-case letters, digits, dots, dashes and underscores, starting with a letter or digit.':
    'Имя — строчные латинские буквы, цифры, точки, дефисы и подчёркивания; начинается с буквы или цифры.',
  'Paste the public key (the .pub file).': 'Вставьте открытый ключ (файл .pub).',
  'A model name has letters, digits and . _ : @ / - only.':
    'Имя модели состоит только из латинских букв, цифр и . _ : @ / -.',
  'A price is a decimal number of USD per 1M tokens.':
    'Цена — десятичное число долларов США за 1 млн токенов.',
  'A rate is tenge per US dollar, e.g. 512.34.': 'Курс — тенге за доллар США, например 512.34.',
  'A budget is an amount, e.g. 50000 or 99.50.': 'Бюджет — сумма, например 50000 или 99.50.',
  'Host name is empty: give the host a short name such as "almaty-1".':
    'Имя не указано: дайте хосту короткое имя, например «almaty-1».',
  'Host name is longer than 63 characters: choose a shorter name.':
    'Имя длиннее 63 символов: выберите покороче.',
  'Host name may contain only letters, digits, ".", "_" and "-", and must start with a letter or digit.':
    'Имя может содержать только латинские буквы, цифры, «.», «_» и «-» и должно начинаться с буквы или цифры.',
  'Address is empty: give a DNS name or an IP address.': 'Адрес не указан: введите DNS-имя или IP-адрес.',
  'Address is longer than 253 characters.': 'Адрес длиннее 253 символов.',
  'Address must be a DNS name or an IP address (no spaces, no user@).':
    'Адрес должен быть DNS-именем или IP-адресом (без пробелов и без «user@»).',
  'Port must be a number between 1 and 65535.': 'Порт должен быть числом от 1 до 65535.',
  'Port must be a whole number.': 'Порт должен быть целым числом.',
  'Port must be between 1 and 65535.': 'Порт должен быть в диапазоне от 1 до 65535.',
  'User is empty: give the SSH user name.': 'Пользователь не указан: введите имя пользователя SSH.',
  'User name is longer than 64 characters.': 'Имя пользователя длиннее 64 символов.',
  'User name may contain only letters, digits, ".", "_" and "-".':
    'Имя пользователя может содержать только латинские буквы, цифры, «.», «_» и «-».',
  'Key file path is empty: give the path of a private key file.':
    'Путь не указан: введите путь к файлу закрытого ключа.',
  'Private key is empty: paste an OpenSSH or PEM private key.':
    'Ключ не указан: вставьте закрытый ключ в формате OpenSSH или PEM.',
  'Label names are lower-case letters, digits, ".", "_" and "-", e.g. region.':
    'Имя метки — строчные латинские буквы, цифры, «.», «_» и «-», например region.',
  'Label values are at most 128 characters.': 'Значение метки — не больше 128 символов.',
  'Label values are one line.': 'Значение метки должно быть в одну строку.',
  'Give a DNS domain such as bots.example.kz.': 'Укажите DNS-домен, например bots.example.kz.',
  'Give a registry such as registry.example.kz:5000 or registry.example.kz/mirror.':
    'Укажите реестр, например registry.example.kz:5000 или registry.example.kz/mirror.',
  'At most 8 jump hosts.': 'Не больше 8 промежуточных хостов.',
  'Each label name may be used once.': 'Каждое имя метки можно использовать только один раз.',
  'A label needs a name, e.g. region.': 'У метки должно быть имя, например region.',
  'A host cannot be its own jump host.': 'Хост не может быть промежуточным сам для себя.',
  'A jump host may appear only once in the chain.':
    'Промежуточный хост может встречаться в цепочке только один раз.',
  'The path is empty: give a file path such as ~/.ssh/config.':
    'Путь не указан: введите путь к файлу, например ~/.ssh/config.',
  'The path is longer than 4096 characters.': 'Путь длиннее 4096 символов.',
  'A file path is one line.': 'Путь к файлу должен быть в одну строку.',
  'Choose at least one host to import.': 'Выберите хотя бы один хост для импорта.',
  'The slug is shorter than 3 characters: use 3–32 of a-z, 0-9 and "-".':
    'Имя короче 3 символов: используйте от 3 до 32 символов a-z, 0-9 и «-».',
  'The slug is longer than 32 characters: use 3–32 of a-z, 0-9 and "-".':
    'Имя длиннее 32 символов: используйте от 3 до 32 символов a-z, 0-9 и «-».',
  'The slug may contain only lower-case latin letters, digits and "-", and must start with a letter (it becomes a DNS name).':
    'Имя может содержать только строчные латинские буквы, цифры и «-» и должно начинаться с буквы (оно становится DNS-именем).',
  'The slug must not end with "-".': 'Имя не может заканчиваться на «-».',
  'The slug must not contain "--".': 'Имя не может содержать «--».',
  'This slug is reserved by the platform: choose another.':
    'Это имя занято самой платформой: выберите другое.',
  "Slugs starting with truffles- or drill- are reserved for the console's own stacks (the edge, restore drills): choose another.":
    'Имена, начинающиеся с truffles- или drill-, заняты стеками самой консоли (шлюз, проверки восстановления): выберите другое.',
  'Slugs starting with "drill--" are reserved for restore drills: choose another.':
    'Имена, начинающиеся с «drill--», заняты проверками восстановления: выберите другое.',
  'Give an e-mail address.': 'Укажите адрес электронной почты.',
  'At most 16 images.': 'Не больше 16 образов.',
  'A service is a compose service name.': 'Сервис — это имя сервиса в compose.',
  'Give a moment (2026-12-06T07:00:00Z) or a span (10m, 2h, 1d).':
    'Укажите момент (2026-12-06T07:00:00Z) или промежуток (10m, 2h, 1d).',
  'Give an image reference such as registry.example.kz/postgres:15.10.':
    'Укажите ссылку на образ, например registry.example.kz/postgres:15.10.',
  'The path is empty: give a file path.': 'Путь не указан: введите путь к файлу.',
  'An age identity starts with AGE-SECRET-KEY-1 and has 74 characters.':
    'Закрытый ключ age начинается с AGE-SECRET-KEY-1 и состоит из 74 символов.',
  'An event topic is an event type or "*".': 'Тема событий — тип события или «*».',
  'An operation id is 1–80 letters, digits and ._:-':
    'Идентификатор операции — от 1 до 80 латинских букв, цифр и символов ._:-',
  'Values are one line without single quotes.': 'Значение — одна строка без одинарных кавычек.',
  'A label is key=value.': 'Метка указывается как ключ=значение.',
  'Give the time as HH:MM in host time, e.g. 03:00.': 'Укажите время хоста в виде ЧЧ:ММ, например 03:00.',
  'An absolute path of letters, digits, ".", "_", "-" and "/".':
    'Абсолютный путь из латинских букв, цифр, «.», «_», «-» и «/».',
  'No ".." in the path.': 'В пути не должно быть «..».',
  'The passphrase is longer than 1024 characters.': 'Парольная фраза длиннее 1024 символов.',
  'The private key is longer than 16384 characters: paste one OpenSSH or PEM private key.':
    'Ключ длиннее 16384 символов: вставьте один закрытый ключ в формате OpenSSH или PEM.',
  'At most 32 labels.': 'Не больше 32 меток.',
  'Variable names are UPPER_SNAKE_CASE.': 'Имена переменных пишутся в UPPER_SNAKE_CASE.',
  'A value is longer than 4096 characters.': 'Значение длиннее 4096 символов.',
  'At most 100 variables.': 'Не больше 100 переменных.',
  'The confirmation is longer than 64 characters: type the slug again.':
    'Подтверждение длиннее 64 символов: введите имя тенанта ещё раз.',
  'Module names are lower-case snake_case, e.g. channel_whatsapp.':
    'Имена модулей — строчные буквы в snake_case, например channel_whatsapp.',
  'Fingerprint must look like SHA256: followed by 43 base64 characters (as `ssh-keygen -lf` prints it).':
    'Отпечаток должен выглядеть как SHA256: и 43 символа base64 (как его печатает `ssh-keygen -lf`).',
  'A backup id looks like 20261125T030000Z-scheduled (see truffles backup list SLUG).':
    'Идентификатор копии выглядит как 20261125T030000Z-scheduled (см. truffles backup list SLUG).',
  'The reserve server as user@host.': 'Резервный сервер в виде user@host.',
  'The key file on the host, as an absolute path.': 'Файл ключа на хосте — абсолютный путь.',
  'A label is up to 64 letters, digits, spaces and ._@:()-.':
    'Подпись — до 64 букв, цифр, пробелов и символов ._@:()-.',
  'An age public key starts with age1 and has 62 characters.':
    'Открытый ключ age начинается с age1 и состоит из 62 символов.',
  'The receiver on the reserve, as an absolute path.': 'Приёмник на резервном сервере — абсолютный путь.',
  'The receiver on the reserve, as an absolute path of at most 256 characters.':
    'Приёмник на резервном сервере — абсолютный путь не длиннее 256 символов.',
  'A maintenance window ends after it starts.': 'Окно обслуживания заканчивается позже, чем начинается.',
  'A file name has no slashes.': 'В имени файла не может быть косой черты.',
  'A document id is a UUID.': 'Идентификатор документа — это UUID.',
  'A chat is its numeric id (-100… for a group) or @channelname.':
    'Чат — это его числовой id (-100… для группы) или @имяканала.',
  'A bot token looks like 123456789:AA… (from @BotFather).':
    'Токен бота выглядит как 123456789:AA… (его выдаёт @BotFather).',
  'Not a time zone: use an IANA name such as Asia/Almaty or UTC.':
    'Это не часовой пояс: укажите имя IANA, например Asia/Almaty или UTC.',
  'A time is HH:MM (00:00 to 23:59).': 'Время пишется как ЧЧ:ММ (от 00:00 до 23:59).',
  'The Bot API address is an http(s) URL.': 'Адрес Bot API — это URL http(s).',
  'A phone number is at most 40 characters.': 'Номер телефона — не длиннее 40 символов.',
  'A phone number is digits with an optional leading +, e.g. +77771234567.':
    'Номер телефона — это цифры, можно с + в начале, например +77771234567.',
  'Give the full international number (10 to 19 digits), e.g. +77771234567.':
    'Укажите полный международный номер (от 10 до 19 цифр), например +77771234567.',
  'Type the same phone number again to confirm the erasure.':
    'Чтобы подтвердить удаление, введите тот же номер телефона ещё раз.',
};
