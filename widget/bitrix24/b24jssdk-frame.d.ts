/** The parts of @bitrix24/b24jssdk 2.2.0's frame code that b24frame.js bundles (dist/esm/frame). */
declare module 'b24jssdk-frame/frame.mjs' {
  export class AppFrame {
    constructor(query: { DOMAIN: string; PROTOCOL: boolean; APP_SID: string });
    initData(data: unknown): this;
  }
}
declare module 'b24jssdk-frame/message/commands.mjs' {
  export const MessageCommands: { getInitData: string; resizeWindow: string };
}
declare module 'b24jssdk-frame/message/controller.mjs' {
  import type { AppFrame } from 'b24jssdk-frame/frame.mjs';
  export class MessageManager {
    constructor(frame: AppFrame);
    subscribe(): void;
    send(command: string, params?: Record<string, unknown>): Promise<unknown>;
  }
}
declare module 'b24jssdk-frame/parent.mjs' {
  import type { MessageManager } from 'b24jssdk-frame/message/controller.mjs';
  export class ParentManager {
    constructor(messages: MessageManager);
    fitWindow(): Promise<unknown>;
  }
}
