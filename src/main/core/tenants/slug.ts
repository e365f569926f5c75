/** The slug rules live in the shared contract, so the wizard validates as the core does. */
export { NewSlugSchema, RESERVED_SLUG_PREFIXES, RESERVED_SLUGS, SlugSchema } from '../../../shared/contract';
