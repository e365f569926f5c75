import { CoreError, toErrorInfo } from '../errors';

/**
 * An agent older than a feature answers that feature's methods with `unknown-method`. Every feature
 * that asks the agent (alerts, AI costs, conversations) says so the same way: `<feature>.agent-outdated`,
 * what the agent lacks, and the command that replaces it. Null for any other failure.
 */
export function outdatedAgent(
  err: unknown,
  feature: string,
  host: string,
  what: string,
  method: string,
): CoreError | null {
  const e = toErrorInfo(err);
  if (!/unknown-method|does not know/i.test(`${e.code} ${e.message}`)) return null;
  return new CoreError(
    `${feature}.agent-outdated`,
    `The agent on '${host}' does not serve ${what} yet ("${method}" is unknown to it).`,
    `Update it with \`truffles agent update ${host}\`.`,
  );
}
