import { z } from 'zod';
import { readTool } from './tool.ts';

export const searchKnowledgeTool = readTool({
  name: 'searchKnowledge',
  description: 'Search the fault knowledge base (symptoms, checks, safety steps, parts per failure mode). Cite articles by id.',
  parameters: z.object({ query: z.string().min(1).max(300), limit: z.number().int().min(1).max(5).default(3) }),
  roles: ['engineer', 'customer'],
  async run(ctx, args) {
    return { articles: ctx.knowledge.search(args.query, { language: ctx.language, limit: args.limit }) };
  },
});

export const explainRiskTool = readTool({
  name: 'explainRisk',
  description:
    "Why a device is flagged: the latest prediction's failure-mode risks with the model's own TreeSHAP attributions (sensor, feature, share) and the matching knowledge-base articles.",
  parameters: z.object({ device: z.string().min(1).max(64) }),
  roles: ['engineer', 'customer'],
  async run(ctx, args) {
    const p = await ctx.ports.latestPrediction(ctx.caller, args.device);
    if (!p) return { device: args.device, prediction: null, note: 'no prediction yet for this device' };
    if (p.status !== 'ok') {
      return { device: p.device, at: new Date(p.at).toISOString(), status: p.status, insufficientReason: p.insufficientReason ?? null, risks: [] };
    }
    const risks = [...p.risks].sort((a, b) => b.risk - a.risk);
    return {
      device: p.device,
      equipmentType: p.equipmentType,
      at: new Date(p.at).toISOString(),
      modelVersion: p.modelVersion,
      rulHours: p.rulHours,
      rulLowerHours: p.rulLowerHours,
      risks: risks.map((r) => ({
        mode: r.mode,
        risk: r.risk,
        riskPercent: Math.round(r.risk * 1000) / 10,
        threshold: r.threshold,
        flagged: r.risk >= r.threshold,
        horizonHours: r.horizonHours,
        attributions: r.attributions.map((a) => ({ ...a, sharePercent: Math.round(a.share * 1000) / 10 })),
      })),
      articles: risks
        .filter((r) => r.risk >= r.threshold)
        .slice(0, 2)
        .flatMap((r) => {
          const a = ctx.knowledge.forMode(r.mode, ctx.language);
          return a ? [{ id: a.id, mode: a.mode, title: a.title, checks: a.checks, safety: a.safety }] : [];
        }),
    };
  },
});
