/** The slug rules live in the shared contract, so the wizard validates as the core does. */
export { RESERVED_SLUGS, SlugSchema } from '../../../shared/contract';
