/**
 * Test helpers acting like a person in Bitrix24's UI, or an automation rule: the same write rules
 * as REST, the person (or nobody, for automation) as the author, and the same events (file 2.3:
 * automation changes carry no tokens).
 */
import type { EmulatorClock } from '../../amocrm/emulator/clock.js';
import { addRecord, deleteRecord, moveDealToCategory, updateRecord, type CrmContext } from './crm/records.js';
import { emitEvent, type LifecycleContext } from './lifecycle.js';
import type { Bitrix24State, CrmKind, Portal } from './state.js';

export interface ActAs {
  /** The portal user making the change (default 1, the admin). */
  userId?: number;
  /** An automation rule or agent: events carry no tokens. */
  automation?: boolean;
}

export interface Manager {
  create(kind: CrmKind, fields: Record<string, unknown>, as?: ActAs): number;
  update(kind: CrmKind, id: number, fields: Record<string, unknown>, as?: ActAs): void;
  remove(kind: CrmKind, id: number, as?: ActAs): void;
  moveDealToCategory(id: number, categoryId: number, stageId?: string, as?: ActAs): void;
}

export function managerOf(state: Bitrix24State, clock: EmulatorClock, lifecycle: LifecycleContext, portal: Portal): Manager {
  const context = (as: ActAs = {}): CrmContext => {
    const userId = as.userId ?? 1;
    if (!portal.users.some((user) => user.id === userId)) throw new Error(`No user ${userId} in ${portal.name}`);
    return {
      state,
      clock,
      portal,
      actor: { userId, automation: as.automation === true },
      emit: (target, event, data, actor) => emitEvent(lifecycle, target, event, data, actor),
      historyLagMs: lifecycle.options.stageHistoryLagMs,
    };
  };
  return {
    create: (kind, fields, as) => addRecord(context(as), kind, fields).id,
    update: (kind, id, fields, as) => void updateRecord(context(as), kind, id, fields),
    remove: (kind, id, as) => deleteRecord(context(as), kind, id),
    moveDealToCategory: (id, categoryId, stageId, as) => void moveDealToCategory(context(as), id, categoryId, stageId),
  };
}
