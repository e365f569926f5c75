import type { ReactElement } from 'react';
import { PlaceholderScreen } from '../../kit/PlaceholderScreen';

/** The feature's public entry: the screen each of its routes shows. */
export const knowledgeScreens = {
  knowledge: function Placeholder(): ReactElement {
    return <PlaceholderScreen name="knowledge" />;
  },
};
