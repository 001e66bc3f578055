export { classifyVisit } from './classify.js';
export { sourceColumns } from './sourceColumns.js';
export type { ClassifyInput, TrafficSource } from './types.js';
export { CHANNEL_GROUPS, channelGroupOf, type AdNetworkType, type ChannelGroup, type ChannelInput } from './channelGroups.js';
