/** What a form's draft turns into: the command's input, or what is wrong with which field. */
export type FromDraft<I, E> = { ok: true; input: I } | { ok: false; errors: E };
