import { CostsScreen } from './CostsScreen';

/** The feature's public entry: the screen each of its routes shows. */
export const costsScreens = {
  costs: CostsScreen,
};
