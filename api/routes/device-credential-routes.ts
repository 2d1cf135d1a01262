import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SAFE_ID } from '../../ingest/topics.ts';
import { engineeringTenant, requireKind } from '../caller-access.ts';
import type { DeviceCredentialStore } from '../device-identity/device-credential-store.ts';
import { mosquittoAuthFiles } from '../device-identity/mosquitto-config.ts';
import { GATEWAY_DEVICE } from '../device-identity/mqtt-acl.ts';
import { errorResponses } from '../error-reply.ts';

export interface DeviceCredentialRoutesDeps {
  credentials: DeviceCredentialStore;
  /** The broker devices connect to, told to the device with its credential. */
  brokerUrl: () => string;
  /** prognos' own MQTT user for an external broker (MQTT_USERNAME/MQTT_PASSWORD), written into its files. */
  mqttService?: { username: string; password: string };
}

const safeId = z.string().regex(SAFE_ID, 'must match [A-Za-z0-9._-]{1,64}');
const DeviceParams = z.object({ device: safeId });
/** An admin names the tenant; an engineer may leave it out (their own) but not name another. */
const TenantQuery = z.object({ tenant: safeId.optional() });

const Issued = z
  .object({
    tenant: z.string(),
    device: z.string().meta({ description: 'the device id, or `*` for a gateway credential' }),
    username: z.string().meta({ description: 'MQTT username: `<tenant>/<device>`' }),
    secret: z.string().meta({ description: 'MQTT password; shown this once, only its hash is kept' }),
    createdAt: z.string(),
    brokerUrl: z.string(),
    publishTopic: z.string(),
    commandTopic: z.string(),
  })
  .meta({ id: 'IssuedDeviceCredential' });

const Info = z.object({ id: z.number().int(), tenant: z.string(), device: z.string(), username: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() });

const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];

/**
 * Device identity: an engineer of the tenant (or an admin) issues, lists and revokes the MQTT
 * credentials of a device. Issuing rotates: the device's earlier credentials stop working.
 */
export function deviceCredentialRoutes(deps: DeviceCredentialRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const issue = async (tenant: string, device: string) => {
      const c = await deps.credentials.issue(tenant, device);
      const topicDevice = device === GATEWAY_DEVICE ? '+' : device;
      return { ...c, brokerUrl: deps.brokerUrl(), publishTopic: `prognos/${tenant}/${topicDevice}/telemetry`, commandTopic: `prognos/${tenant}/${topicDevice}/commands` };
    };

    app.post(
      '/api/v1/devices/:device/credentials',
      {
        schema: {
          tags: ['devices'],
          summary: "Issues a device's MQTT credential (revoking its earlier ones); the secret is in this answer only",
          security,
          params: DeviceParams,
          querystring: TenantQuery,
          response: { 201: Issued, ...errorResponses },
        },
      },
      async (req, reply) => reply.status(201).send(await issue(engineeringTenant(req, req.query.tenant), req.params.device)),
    );

    app.get(
      '/api/v1/devices/:device/credentials',
      {
        schema: {
          tags: ['devices'],
          summary: "A device's credentials, live and revoked (never the secrets)",
          security,
          params: DeviceParams,
          querystring: TenantQuery,
          response: { 200: z.object({ items: z.array(Info) }), ...errorResponses },
        },
      },
      async (req) => ({ items: await deps.credentials.list(engineeringTenant(req, req.query.tenant), req.params.device) }),
    );

    app.delete(
      '/api/v1/devices/:device/credentials',
      {
        schema: {
          tags: ['devices'],
          summary: "Revokes a device's live credentials (new connections are refused)",
          security,
          params: DeviceParams,
          querystring: TenantQuery,
          response: { 200: z.object({ revoked: z.number().int() }), ...errorResponses },
        },
      },
      async (req) => ({ revoked: await deps.credentials.revoke(engineeringTenant(req, req.query.tenant), req.params.device) }),
    );

    app.post(
      '/api/v1/gateway-credentials',
      {
        schema: {
          tags: ['devices'],
          summary: 'Issues a gateway credential that may publish for every device of the tenant (a site gateway, the simulator)',
          security,
          querystring: TenantQuery,
          response: { 201: Issued, ...errorResponses },
        },
      },
      async (req, reply) => reply.status(201).send(await issue(engineeringTenant(req, req.query.tenant), GATEWAY_DEVICE)),
    );

    app.get(
      '/api/v1/broker-config',
      {
        schema: {
          tags: ['devices'],
          summary: 'Mosquitto password and ACL files for every live credential (admin; what `prognos broker-config` writes)',
          security,
          response: { 200: z.object({ passwordFile: z.string(), aclFile: z.string() }), ...errorResponses },
        },
      },
      async (req) => {
        requireKind(req, 'admin');
        const files = await mosquittoAuthFiles(await deps.credentials.allActive(), deps.mqttService);
        return { passwordFile: files.passwordFile, aclFile: files.aclFile };
      },
    );
  };
}
