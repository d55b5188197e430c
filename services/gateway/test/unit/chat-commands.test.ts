import { ChatSubjects, setSubjectNamespace } from '@harness/contracts';
import { ChatCommand } from '../../src/core/chat-commands.js';

describe('chat command subjects', () => {
  afterEach(() => setSubjectNamespace('harness'));

  it('follow the NATS namespace set at boot, whenever it is set', () => {
    expect(ChatCommand.send.subject()).toBe('harness.v1.chat.cmd.send');
    setSubjectNamespace('tenant-a');
    expect(ChatCommand.send.subject()).toBe('tenant-a.v1.chat.cmd.send');
    expect(ChatCommand.deleteConversation.subject()).toBe(ChatSubjects.deleteConversation);
  });
});
