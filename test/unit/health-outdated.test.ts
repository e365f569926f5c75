import { describe, expect, it } from 'vitest';
import { CoreError, toErrorInfo } from '../../src/main/core/errors';
import { outdatedAgent } from '../../src/main/core/health/outdated';

describe('an agent older than a feature', () => {
  it('is told apart by its unknown-method answer, and named with the command that replaces it', () => {
    const old = new CoreError(
      'agent.unknown-method',
      'This agent does not know "inbox.list" (it knows: ping).',
      '',
    );
    expect(toErrorInfo(outdatedAgent(old, 'inbox', 'almaty-1', 'conversations', 'inbox.list'))).toMatchObject(
      {
        code: 'inbox.agent-outdated',
        message: `The agent on 'almaty-1' does not serve conversations yet ("inbox.list" is unknown to it).`,
        hint: 'Update it with `truffles agent update almaty-1`.',
      },
    );
  });

  it('leaves every other failure as it was', () => {
    expect(
      outdatedAgent(
        new CoreError('agent.timeout', 'no answer in 30 s', ''),
        'cost',
        'h',
        'AI costs',
        'cost.view',
      ),
    ).toBeNull();
    expect(outdatedAgent(new Error('socket closed'), 'cost', 'h', 'AI costs', 'cost.view')).toBeNull();
  });
});
