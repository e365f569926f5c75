import { AuditScreen } from './AuditScreen';

/** The feature's public entry: the screen each of its routes shows. */
export const auditScreens = {
  audit: AuditScreen,
};
