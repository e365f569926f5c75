/** Русские строки — входящие диалоги: диалоги клиента, перехват, ответ, возврат боту. */
import type { Shape } from '../en';
import type { inbox as en } from '../en/inbox';

export const inbox: Shape<typeof en> = {
  inbox: {
    title: 'Диалоги',
    subtitle:
      'Диалоги клиента с его покупателями, как их хранит его собственный API. Возьмите диалог — бот в нём замолчит, пока отвечаете вы; верните — и бот снова отвечает.',
    refresh: 'Обновить',
    refreshing: 'Читаю…',
    tenant: 'Клиент',
    tenantOption: '{{tenant}} — {{host}}',
    noTenants: 'Ни один клиент не отвечает',
    chooseTenant: 'Выберите клиента, чтобы увидеть его диалоги. Клиенты читаются у агентов хостов.',
    statusFilter: 'Статус',
    all: 'Все',
    channel: 'Канал',
    search: 'Телефон или имя',
    searchHint: 'например, 7701 или Айгерим',
    listLabel: 'Диалоги',
    detailLabel: 'Диалог',
    loading: 'Читаю диалоги…',
    loadingMessages: 'Читаю сообщения…',
    count: '{{shown}} из {{total}}',
    empty: 'Нет подходящих диалогов.',
    pick: 'Откройте диалог из списка (↑/↓ — выбор, Enter — открыть).',
    messagesCount: 'сообщений: {{count}}',
    noText: '(без текста: медиа или вложение)',
    assigned: 'у {{who}}',
    status: {
      active: 'Отвечает бот',
      escalated: 'Оператор',
      closed: 'Закрыт',
    },
    explain: {
      active: 'Этот диалог ведёт бот. Возьмите его, чтобы ответить самому; бот в нём замолчит.',
      escalated:
        'Диалог у оператора: бот в нём молчит. Когда закончите, верните его — и бот ответит на следующее сообщение.',
      closed: 'Диалог закрыт. Следующее сообщение покупателя откроет новый.',
    },
    channels: {
      whatsapp: 'WhatsApp',
      telegram: 'Telegram',
      instagram: 'Instagram',
      web: 'Веб-чат',
    },
    sender: {
      customer: 'Покупатель',
      bot: 'Бот',
      operator: 'Оператор',
      system: 'Система',
    },
    takeOver: 'Взять диалог',
    handBack: 'Вернуть боту',
    close: 'Закрыть',
    reply: 'Ваш ответ',
    replyHint: 'Напишите покупателю. Ctrl+Enter — отправить.',
    replyNote: 'Уходит через канал диалога; ответ забирает диалог у бота.',
    send: 'Отправить',
    badge: 'Диалогов ждут оператора: {{count}}',
  },
};
