import { KnowledgeScreen } from './KnowledgeScreen';

/** The feature's public entry: the screen each of its routes shows. */
export const knowledgeScreens = {
  knowledge: KnowledgeScreen,
};
