/**
 * A support host's one way in (issue 17): the support account's forced command, asked for by name
 * over an exec channel of the host's one SSH connection, speaking the agent's frames (the host
 * agent's support door answers, through the bridge that names the person from their key).
 */
import { DOOR_COMMAND } from '../access/support';
import { CoreError } from '../errors';
import { AgentClient } from '../health/client';
import type { HostTransport } from './transport';

export async function openSupportDoor(t: HostTransport, hostName: string): Promise<AgentClient> {
  const stream = await t.execStream(DOOR_COMMAND);
  let refused: string | null = null;
  stream.once('refused', (text: string) => {
    refused = text;
  });
  try {
    return await AgentClient.open(stream, hostName);
  } catch (err) {
    // The program's exit status comes just before the channel's close: give it a moment.
    await new Promise((r) => setTimeout(r, 50));
    if (refused !== null)
      throw new CoreError(
        'support.refused',
        `The support door on '${hostName}' did not let this console in: ${String(refused)}`,
        'Ask an operator to grant your key as support (truffles access grant NAME --role support --key FILE) and to update the host agent.',
      );
    throw err;
  }
}
