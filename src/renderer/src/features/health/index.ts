/** The health views: the fleet's, a host's and a tenant's (used by the Fleet, Hosts and Tenants screens). */
export { FleetHealth } from './FleetHealth';
export { HostHealthPanel } from './HostHealthPanel';
export { TenantHealth } from './TenantHealth';
export { UsageBar } from './HealthParts';
