/** Personal-data requests: opened from where a customer is shown (the Inbox's conversation). */
export { PrivacyButton, PrivacyDialog } from './PrivacyDialog';
