/** English strings — personal-data requests: a customer's data found, exported, erased. */
export const privacy = {
  privacy: {
    open: 'Personal data…',
    title: 'Personal data of {{who}}',
    intro:
      'Everything {{tenant}} holds about {{phone}}: PostgreSQL, the knowledge base’s Qdrant, Redis and n8n’s executions. Export gives it all as one file; erase removes it everywhere.',
    searching: 'Searching every store…',
    summary_one: '{{count}} item names this customer or belongs to them.',
    summary_few: '{{count}} items name this customer or belong to them.',
    summary_many: '{{count}} items name this customer or belong to them.',
    summary_other: '{{count}} items name this customer or belong to them.',
    noCustomer: 'No customer has this number; {{count}} items elsewhere name it.',
    nothing: 'Nothing in any store names this customer.',
    matchedBy:
      'Matched by the phone number however it is written, the customer’s email, and the ids of their conversations and orders; a name alone is not matched.',
    col: { store: 'Store', where: 'Where', count: 'Items', onErase: 'On erase' },
    store: { postgres: 'PostgreSQL', qdrant: 'Qdrant', redis: 'Redis', n8n: 'n8n' },
    action: {
      customers: 'deleted',
      conversations: 'deleted with the customer',
      messages: 'deleted with the customer; in others’ messages, the number redacted',
      orders: 'kept for accounting, personal fields cleared',
      payments: 'kept for accounting, personal fields cleared',
      billing_events: 'kept (AI costs), unlinked',
      audit_logs: 'kept, values cleared',
      knowledge_chunks: 'number and email redacted',
      unknown: 'not known to the erasure: it stops, changing nothing',
      qdrant: 'number and email redacted in the payload',
      redis: 'deleted',
      n8n: 'executions deleted',
    },
    backups: {
      none: 'No backup of this tenant holds the customer’s data.',
      holding_one:
        '{{count}} backup ({{oldest}}) still holds the data: backups are encrypted and never rewritten.',
      holding_few:
        '{{count}} backups ({{oldest}} to {{newest}}) still hold the data: backups are encrypted and never rewritten.',
      holding_many:
        '{{count}} backups ({{oldest}} to {{newest}}) still hold the data: backups are encrypted and never rewritten.',
      holding_other:
        '{{count}} backups ({{oldest}} to {{newest}}) still hold the data: backups are encrypted and never rewritten.',
      goneBy:
        'They leave by the host’s retention rule ({{daily}} daily, {{weekly}} weekly): by {{date}} at the latest, while backups go on daily.',
      final: 'A final backup of a deleted tenant is among them: it stays until deleted by hand.',
      unknownRule: 'The host’s retention rule could not be read.',
      offsite: 'The offsite reserve keeps its copies {{days}} days.',
      restore: 'Restoring one of them brings the data back: erase again after any restore.',
    },
    export: 'Export (JSON)',
    exporting: 'Exporting…',
    exported: 'Downloaded as {{file}}. It holds personal data: keep it safe.',
    erase: 'Erase…',
    confirmLabel: 'Type the phone number again to erase',
    confirmHelp:
      'This cannot be undone. The record of it keeps the customer’s id and the counts, nothing personal.',
    eraseNow: 'Erase everywhere',
    erasing: 'Erasing…',
    erased_one: 'Erased: {{count}} item.',
    erased_few: 'Erased: {{count}} items.',
    erased_many: 'Erased: {{count}} items.',
    erased_other: 'Erased: {{count}} items.',
    afterNothing: 'Searched again: nothing names the customer any more.',
    afterSome_one: 'Searched again: {{count}} item still names them.',
    afterSome_few: 'Searched again: {{count}} items still name them.',
    afterSome_many: 'Searched again: {{count}} items still name them.',
    afterSome_other: 'Searched again: {{count}} items still name them.',
    close: 'Close',
  },
};
