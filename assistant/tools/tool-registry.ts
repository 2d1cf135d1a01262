import type { Caller } from '../../platform/caller.ts';
import { fleetOverviewTool, deviceStatusTool, telemetrySummaryTool } from './fleet-tools.ts';
import { handOffTool } from './hand-off-tool.ts';
import { explainRiskTool, searchKnowledgeTool } from './knowledge-tools.ts';
import { draftCustomerMessageTool, sendCustomerMessageTool } from './message-tools.ts';
import { getTicketTool, listTicketsTool, proposeVisitSlotsTool } from './ticket-tools.ts';
import { roleOf, type Tool } from './tool.ts';
import { cancelVisitTool, rescheduleVisitTool, scheduleVisitTool } from './visit-tools.ts';

/** Every tool, defined once. (Hand-off also happens without the model: handoff-detector.ts.) */
export const ALL_TOOLS: readonly Tool[] = [
  fleetOverviewTool,
  deviceStatusTool,
  telemetrySummaryTool,
  explainRiskTool,
  searchKnowledgeTool,
  listTicketsTool,
  getTicketTool,
  proposeVisitSlotsTool,
  scheduleVisitTool,
  rescheduleVisitTool,
  cancelVisitTool,
  draftCustomerMessageTool,
  sendCustomerMessageTool,
  handOffTool,
];

/** The tools this caller's role may use; the model is offered these and nothing else runs. */
export function toolsFor(caller: Caller): Tool[] {
  const role = roleOf(caller);
  return ALL_TOOLS.filter((t) => t.roles.includes(role));
}
