/**
 * `crm.timeline.comment.add` (bitrix24.md 3.8) and `crm.tracking.trace.add|delete` (3.10). Codes
 * are the file's; descriptions the file does not give are [UNCONFIRMED] and chosen here.
 */
import { isFieldObject } from '../crm/records.js';
import { RestError } from '../envelope.js';
import type { CrmKind } from '../state.js';
import type { MethodContext, MethodTable } from './context.js';

const commentEntityTypes: Record<string, CrmKind> = { deal: 'deal', lead: 'lead', contact: 'contact' };

function addComment(context: MethodContext): number {
  // Only the lower-case key `fields` is accepted since crm 23.100.0 (file 3.8).
  const fields = context.params['fields'];
  if (!isFieldObject(fields) || fields['ENTITY_ID'] === undefined || fields['ENTITY_TYPE'] === undefined) {
    throw new RestError(400, '100', 'Required fields ENTITY_ID, ENTITY_TYPE are not set');
  }
  const entityType = String(fields['ENTITY_TYPE']);
  const entityId = Math.trunc(Number(fields['ENTITY_ID']));
  const kind = commentEntityTypes[entityType];
  const owner = kind ? context.state.record(kind, entityId) : undefined;
  if (!owner || owner.portalId !== context.portal.id) throw new RestError(400, 'OWNER_NOT_FOUND', 'Owner of the comment is not found');
  const comment = typeof fields['COMMENT'] === 'string' ? fields['COMMENT'] : '';
  if (comment.trim() === '') throw new RestError(400, 'INVALID_ARG_VALUE', 'Comment text is empty');
  const id = context.state.nextId('comment');
  context.state.comments.push({ id, portalId: context.portal.id, entityType, entityId, comment, authorId: context.caller.userId, createdMs: context.clock.now() });
  return id;
}

const traceTypes = ['COMPANY', 'CONTACT', 'DEAL', 'LEAD', 'QUOTE'];

/** Validates `TRACE` and `ENTITIES` with the `ERROR_CORE` texts of file 3.10; returns the trace id. */
export function addTrace(context: Pick<MethodContext, 'state' | 'portal'>, traceParam: unknown, entitiesParam: unknown): number {
  if (typeof traceParam !== 'string' || traceParam === '') throw new RestError(400, 'ERROR_CORE', 'Parameter `TRACE` required.');
  let trace: unknown;
  try {
    trace = JSON.parse(traceParam);
  } catch {
    throw new RestError(400, 'ERROR_CORE', 'Can not parse JSON in parameter `TRACE`.');
  }
  if (!isFieldObject(trace)) throw new RestError(400, 'ERROR_CORE', 'Can not parse JSON in parameter `TRACE`.');
  const list = Array.isArray(entitiesParam) ? entitiesParam : isFieldObject(entitiesParam) ? Object.values(entitiesParam) : [];
  const entities: Array<{ TYPE: string; ID: number }> = [];
  for (const entity of list) {
    const type = isFieldObject(entity) ? String(entity['TYPE'] ?? '').toUpperCase() : '';
    if (!traceTypes.includes(type)) throw new RestError(400, 'ERROR_CORE', `Wrong TYPE in parameter \`ENTITIES\`. Allowed types: ${traceTypes.join(',')}`);
    const id = Math.trunc(Number(isFieldObject(entity) ? entity['ID'] : undefined));
    if (!Number.isFinite(id) || id <= 0) throw new RestError(400, 'ERROR_CORE', 'Wrong ID in parameter `ENTITIES`.');
    const kind = type.toLowerCase() as CrmKind;
    const record = ['deal', 'lead', 'contact'].includes(kind) ? context.state.record(kind, id) : undefined;
    if (!record || record.portalId !== context.portal.id) throw new RestError(400, 'ERROR_CORE', `You have no access to entity \`${type}\` with ID \`${id}\`.`);
    entities.push({ TYPE: type, ID: id });
  }
  const id = context.state.nextId('trace');
  context.state.traces.set(id, { id, portalId: context.portal.id, trace, entities });
  return id;
}

export const timelineTrackingMethods: MethodTable = {
  'crm.timeline.comment.add': { scope: 'crm', handler: (context) => ({ result: addComment(context) }) },
  'crm.tracking.trace.add': {
    scope: 'crm',
    handler: (context) => ({ result: addTrace(context, context.params['TRACE'] ?? context.params['trace'], context.params['ENTITIES'] ?? context.params['entities']) }),
  },
  'crm.tracking.trace.delete': {
    scope: 'crm',
    handler(context) {
      const id = context.params['id'] ?? context.params['ID'];
      if (id === undefined || id === '') throw new RestError(400, 'ERROR_CORE', 'Parameter `id` required.');
      const trace = context.state.traces.get(Math.trunc(Number(id)));
      if (trace && trace.portalId === context.portal.id) context.state.traces.delete(trace.id);
      return { result: null };
    },
  },
};
