import type { ReactElement } from 'react';
import { PlaceholderScreen } from '../../kit/PlaceholderScreen';

/** The feature's public entry: the screen each of its routes shows. */
export const costsScreens = {
  costs: function Placeholder(): ReactElement {
    return <PlaceholderScreen name="costs" />;
  },
};
