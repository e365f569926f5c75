/** Types of the Telegram stand-in's HTML parse mode (lib/html.mjs), for the TypeScript tests. */

export declare class HtmlError extends Error {}

export interface Entity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  custom_emoji_id?: string;
}

export declare function parseHtml(html: string): { text: string; entities: Entity[] };
