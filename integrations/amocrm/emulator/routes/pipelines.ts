/** Pipelines and their statuses, read-only in this slice (amocrm.md 2.6, checklist 25). */
import { sendHal, sendProblem } from '../responses.js';
import type { Pipeline, Status } from '../state.js';
import type { ApiContext, ApiRoute } from './apiContext.js';

function statusBody(context: ApiContext, pipeline: Pipeline, status: Status): Record<string, unknown> {
  return {
    id: status.id,
    name: status.name,
    sort: status.sort,
    is_editable: status.isEditable,
    pipeline_id: pipeline.id,
    color: status.color,
    type: status.type,
    account_id: pipeline.accountId,
    _links: { self: { href: `${context.baseUrl}/api/v4/leads/pipelines/${pipeline.id}/statuses/${status.id}` } },
  };
}

function pipelineBody(context: ApiContext, pipeline: Pipeline): Record<string, unknown> {
  return {
    id: pipeline.id,
    name: pipeline.name,
    sort: pipeline.sort,
    is_main: pipeline.isMain,
    is_unsorted_on: pipeline.isUnsortedOn,
    is_archive: pipeline.isArchive,
    account_id: pipeline.accountId,
    _links: { self: { href: `${context.baseUrl}/api/v4/leads/pipelines/${pipeline.id}` } },
    _embedded: { statuses: sortedStatuses(pipeline).map((status) => statusBody(context, pipeline, status)) },
  };
}

function sortedStatuses(pipeline: Pipeline): Status[] {
  return [...pipeline.statuses].sort((left, right) => left.sort - right.sort);
}

function findPipeline(context: ApiContext, id: string | undefined): Pipeline | undefined {
  const pipeline = context.state.pipelines.get(Number(id));
  return pipeline?.accountId === context.account.id ? pipeline : undefined;
}

function listPipelines(context: ApiContext): void {
  const pipelines = context.state.pipelinesOf(context.account.id).sort((left, right) => left.sort - right.sort);
  sendHal(context.response, 200, {
    _total_items: pipelines.length,
    _links: { self: { href: `${context.baseUrl}/api/v4/leads/pipelines` } },
    _embedded: { pipelines: pipelines.map((pipeline) => pipelineBody(context, pipeline)) },
  });
}

function getPipeline(context: ApiContext, [id]: string[]): void {
  const pipeline = findPipeline(context, id);
  if (!pipeline) return sendProblem(context.response, 404, 'Pipeline not found');
  sendHal(context.response, 200, pipelineBody(context, pipeline));
}

function listStatuses(context: ApiContext, [id]: string[]): void {
  const pipeline = findPipeline(context, id);
  if (!pipeline) return sendProblem(context.response, 404, 'Pipeline not found');
  sendHal(context.response, 200, {
    _total_items: pipeline.statuses.length,
    _links: { self: { href: `${context.baseUrl}/api/v4/leads/pipelines/${pipeline.id}/statuses` } },
    _embedded: { statuses: sortedStatuses(pipeline).map((status) => statusBody(context, pipeline, status)) },
  });
}

function getStatus(context: ApiContext, [pipelineId, statusId]: string[]): void {
  const pipeline = findPipeline(context, pipelineId);
  if (!pipeline) return sendProblem(context.response, 404, 'Pipeline not found');
  const status = pipeline.statuses.find((candidate) => candidate.id === Number(statusId));
  if (!status) return sendProblem(context.response, 404, 'Status not found');
  sendHal(context.response, 200, statusBody(context, pipeline, status));
}

export const pipelineRoutes: ApiRoute[] = [
  { method: 'GET', path: /^\/api\/v4\/leads\/pipelines$/, handler: listPipelines },
  { method: 'GET', path: /^\/api\/v4\/leads\/pipelines\/(\d+)$/, handler: getPipeline },
  { method: 'GET', path: /^\/api\/v4\/leads\/pipelines\/(\d+)\/statuses$/, handler: listStatuses },
  { method: 'GET', path: /^\/api\/v4\/leads\/pipelines\/(\d+)\/statuses\/(\d+)$/, handler: getStatus },
];
