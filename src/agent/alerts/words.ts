/**
 * The words of the alert messages, English and Russian: labels, a title per kind (plain text: the
 * template escapes it) and a fix per fix code (HTML: the commands in <code>, host text escaped).
 */
import type {
  AlertEpisode,
  AlertKind,
  AlertLanguage,
  AlertRecord,
  AlertSeverity,
} from '../../shared/agent/alerts';

/** Escape text for Telegram's HTML parse mode. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
const code = (s: string): string => `<code>${escapeHtml(s)}</code>`;

interface Words {
  severity: Record<AlertSeverity, string>;
  resolved: string;
  escalated: string;
  still: string;
  since: string;
  lasted: string;
  value: string;
  peak: string;
  fix: string;
  acked: string;
  reason: Record<Exclude<AlertEpisode['reason'], 'cleared'>, string>;
  s: string;
  min: string;
  h: string;
  d: string;
  digest: (n: number) => string;
  more: (n: number) => string;
  testTitle: string;
  testBody: string;
}

function ruPlural(n: number, one: string, few: string, many: string): string {
  const m10 = n % 10;
  const m100 = n % 100;
  if (m10 === 1 && m100 !== 11) return one;
  if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) return few;
  return many;
}

export const WORDS: Record<AlertLanguage, Words> = {
  en: {
    severity: { warning: 'WARNING', critical: 'CRITICAL' },
    resolved: 'RESOLVED',
    escalated: 'NOW CRITICAL',
    still: 'still firing',
    since: 'Since',
    lasted: 'Lasted',
    value: 'Value',
    peak: 'worst',
    fix: 'Fix',
    acked: 'Acknowledged by',
    reason: { gone: 'Its subject is gone (removed).', disabled: 'Its rule was turned off.' },
    s: 's',
    min: 'min',
    h: 'h',
    d: 'd',
    digest: (n) => `${n} alerts in a minute`,
    more: (n) => `… and ${n} more`,
    testTitle: 'Truffles test message',
    testBody: 'Alert delivery from this host works.',
  },
  ru: {
    severity: { warning: 'ВНИМАНИЕ', critical: 'КРИТИЧНО' },
    resolved: 'ИСПРАВЛЕНО',
    escalated: 'ТЕПЕРЬ КРИТИЧНО',
    still: 'всё ещё',
    since: 'С',
    lasted: 'Длилось',
    value: 'Значение',
    peak: 'худшее',
    fix: 'Как исправить',
    acked: 'Принято:',
    reason: { gone: 'Объекта больше нет (удалён).', disabled: 'Правило выключено.' },
    s: 'с',
    min: 'мин',
    h: 'ч',
    d: 'д',
    digest: (n) => `${n} ${ruPlural(n, 'оповещение', 'оповещения', 'оповещений')} за минуту`,
    more: (n) => `… и ещё ${n}`,
    testTitle: 'Проверочное сообщение Truffles',
    testBody: 'Оповещения с этого сервера доходят.',
  },
};

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v) || 0);
const svc = (a: AlertRecord): string => a.subject.service ?? '?';
/** 1.2 GB (powers of 1000, as df -H). */
export function formatBytes(n: number): string {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < u.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i ? v.toFixed(1) : v} ${u[i]}`;
}
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

type Title = (a: AlertRecord, l: AlertLanguage, tz: string) => string;

export const TITLES: Record<AlertKind, Title> = {
  'service-down': (a, l) => {
    const unhealthy = a.facts['state'] === 'running';
    if (l === 'ru')
      return unhealthy
        ? `${svc(a)}: проверка здоровья не проходит`
        : `${svc(a)} не работает (${str(a.facts['state'])})`;
    return unhealthy ? `${svc(a)} is unhealthy` : `${svc(a)} is down (${str(a.facts['state'])})`;
  },
  'container-exited': (a, l) => {
    if (a.facts['oomKilled'] === true)
      return l === 'ru' ? `${svc(a)} убит: не хватило памяти` : `${svc(a)} was killed: out of memory`;
    const c = str(a.facts['code']);
    return l === 'ru' ? `${svc(a)} упал с кодом ${c}` : `${svc(a)} crashed with exit code ${c}`;
  },
  'restart-loop': (a, l) =>
    l === 'ru'
      ? `${svc(a)} перезапускается по кругу: ${num(a.value)} раз за ${num(a.facts['windowMin'])} мин`
      : `${svc(a)} is restarting in a loop: ${num(a.value)} times in ${num(a.facts['windowMin'])} min`,
  disk: (a, l) => {
    const free = formatBytes(num(a.facts['availBytes']));
    return l === 'ru'
      ? `Диск ${a.subject.mount ?? ''} заполнен на ${num(a.value)} % (свободно ${free})`
      : `Disk ${a.subject.mount ?? ''} is ${num(a.value)} % full (${free} free)`;
  },
  memory: (a, l) =>
    l === 'ru' ? `Мало памяти: доступно ${num(a.value)} %` : `Memory is short: ${num(a.value)} % available`,
  load: (a, l) =>
    l === 'ru'
      ? `Высокая нагрузка: ${num(a.facts['load1'])} на ${num(a.facts['cores'])} CPU`
      : `High load: ${num(a.facts['load1'])} on ${num(a.facts['cores'])} CPUs`,
  'backup-stale': (a, l) => {
    if (a.facts['never'] === true) return l === 'ru' ? 'Резервных копий ещё не было' : 'Never backed up';
    return l === 'ru'
      ? `Нет свежей резервной копии: последней ${num(a.value)} ч`
      : `No recent backup: the last is ${num(a.value)} h old`;
  },
  'backup-failed': (_a, l) => (l === 'ru' ? 'Резервное копирование не удалось' : 'Backup failed'),
  drill: (a, l) => {
    if (a.facts['never'] === true)
      return l === 'ru' ? 'Проверка восстановления ни разу не проводилась' : 'No restore drill was ever run';
    if (a.facts['failed'] === true)
      return l === 'ru' ? 'Проверка восстановления не удалась' : 'The restore drill failed';
    const at = a.facts['lastAt'];
    const when = typeof at === 'number' ? day(at) : '?';
    return l === 'ru'
      ? `Проверки восстановления не было больше недели (последняя ${when})`
      : `No restore drill for over a week (the last on ${when})`;
  },
  'offsite-failed': (_a, l) =>
    l === 'ru' ? 'Копия на резервный сервер не удалась' : 'The offsite copy failed',
  'cert-expiry': (a, l) => {
    const d = num(a.value);
    const on = day(num(a.facts['notAfter']));
    if (d <= 0)
      return l === 'ru'
        ? `Сертификат ${a.subject.cert ?? ''} истёк (${on})`
        : `Certificate ${a.subject.cert ?? ''} has expired (${on})`;
    return l === 'ru'
      ? `Сертификат ${a.subject.cert ?? ''} истекает через ${d} дн. (${on})`
      : `Certificate ${a.subject.cert ?? ''} expires in ${d} days (${on})`;
  },
  firewall: (a, l) => {
    if (a.facts['active'] !== true) return l === 'ru' ? 'Файрвол выключен' : 'The firewall is off';
    const ports = str(a.facts['extraPorts']);
    return l === 'ru'
      ? `Файрвол открывает лишние порты: ${ports}`
      : `The firewall exposes more ports: ${ports}`;
  },
  fail2ban: (a, l) => {
    if (a.facts['running'] !== true)
      return l === 'ru'
        ? 'fail2ban не запущен: SSH не защищён от перебора'
        : 'fail2ban is not running: SSH is open to brute force';
    return l === 'ru' ? 'В fail2ban нет правила (jail) для SSH' : 'fail2ban has no jail for SSH';
  },
  'ssh-password': (_a, l) => (l === 'ru' ? 'SSH разрешает вход по паролю' : 'SSH allows password login'),
  budget: (a, l) => {
    const cur = a.facts['currency'] ? ` ${str(a.facts['currency'])}` : '';
    const spent = `${num(a.facts['spent'])}${cur}`;
    const budget = `${num(a.facts['budget'])}${cur}`;
    const pct = typeof a.value === 'number' ? a.value : null;
    if (pct !== null && pct < 100)
      return l === 'ru'
        ? `Расходы на ИИ достигли ${Math.floor(pct)} % бюджета: ${spent} из ${budget}`
        : `AI spend reached ${Math.floor(pct)} % of the budget: ${spent} of ${budget}`;
    return l === 'ru'
      ? `Расходы на ИИ превысили бюджет: ${spent} из ${budget}`
      : `AI spend is over budget: ${spent} of ${budget}`;
  },
};

type Fix = (a: AlertRecord, l: AlertLanguage) => string;
const tenant = (a: AlertRecord): string => a.subject.tenant ?? 'TENANT';

export const FIXES: Record<string, Fix> = {
  'raise-memory': (_a, l) =>
    l === 'ru'
      ? 'поднимите лимит памяти сервиса (тариф арендатора) или найдите утечку.'
      : "raise the service's memory limit (the tenant's plan) or find the leak.",
  disk: (_a, l) =>
    (l === 'ru' ? 'освободите место: ' : 'free some space: ') +
    `${code('docker system prune')}, ${l === 'ru' ? 'старые резервные копии, журналы; или увеличьте диск.' : 'old backups, logs; or grow the disk.'}`,
  'backup-run': (a, l) =>
    (l === 'ru' ? 'посмотрите ' : 'see ') +
    `${code(`truffles backup list ${tenant(a)}`)}, ${l === 'ru' ? 'затем' : 'then'} ${code(`truffles backup create ${tenant(a)}`)}`,
  'backup-schedule': (_a, l) =>
    (l === 'ru' ? 'включите расписание: ' : 'schedule backups: ') +
    code('truffles backup schedule HOST --at 03:00'),
  'drill-run': (a, l) =>
    (l === 'ru' ? 'проведите проверку: ' : 'run a drill: ') + code(`truffles backup drill ${tenant(a)}`),
  'drill-schedule': (_a, l) =>
    (l === 'ru' ? 'назначьте день проверок: ' : 'set a drill weekday: ') +
    code('truffles backup schedule HOST --drill-weekday 0'),
  offsite: (_a, l) =>
    (l === 'ru'
      ? 'проверьте резервный сервер и ключ этого сервера на нём: '
      : "check the reserve server and this host's key there: ") +
    code('truffles backup offsite-key-line HOST'),
  cert: (_a, l) =>
    l === 'ru'
      ? 'проверьте, что DNS домена указывает на этот сервер, порты 80 и 443 открыты, и журнал edge (ACME).'
      : "check the domain's DNS points at this host, ports 80 and 443 are open, and the edge's log (ACME).",
  'firewall-enable': () =>
    code(
      'ufw default deny incoming && ufw allow 22/tcp && ufw allow 80/tcp && ufw allow 443/tcp && ufw enable',
    ),
  'firewall-default': (_a, l) =>
    (l === 'ru' ? 'закройте всё, кроме нужного: ' : 'close everything but what is needed: ') +
    code('ufw default deny incoming && ufw status numbered') +
    (l === 'ru'
      ? ', затем удалите правила allow без порта.'
      : ', then delete the allow rules without a port.'),
  'firewall-ports': (a) =>
    str(a.facts['extraPorts'])
      .split(',')
      .filter(Boolean)
      .map((p) => code(`ufw delete allow ${p}/tcp`))
      .join(' '),
  'fail2ban-install': () => code('apt-get install -y fail2ban && systemctl enable --now fail2ban'),
  'fail2ban-jail': (_a, l) =>
    (l === 'ru' ? 'включите jail sshd: ' : 'enable the sshd jail: ') +
    code(
      'printf "[sshd]\\nenabled = true\\n" > /etc/fail2ban/jail.d/sshd.local && systemctl reload fail2ban',
    ),
  'ssh-password': (_a, l) =>
    (l === 'ru' ? 'проверьте вход по ключу, затем ' : 'check that key login works, then ') +
    code('PasswordAuthentication no') +
    (l === 'ru'
      ? ' в /etc/ssh/sshd_config (и sshd_config.d/*.conf), '
      : ' in /etc/ssh/sshd_config (and sshd_config.d/*.conf), ') +
    code('systemctl reload ssh'),
  budget: (_a, l) =>
    l === 'ru'
      ? 'поднимите бюджет арендатора или проверьте расход ИИ.'
      : "raise the tenant's budget or look into its AI usage.",
};
