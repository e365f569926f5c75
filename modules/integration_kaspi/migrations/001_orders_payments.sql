-- integration_kaspi 001: orders and Kaspi payments (spec §4.2.4, completed from §8).
--
-- Applied once, after core_chat's migrations (customers, conversations, audit_logs), inside a
-- transaction opened by the factory: no BEGIN/COMMIT, no CREATE INDEX CONCURRENTLY.
--
-- §4.2.4 and §8 sketch payments differently; this keeps §8's shape (payments.order_id references
-- orders) and adds §4.2.4's customer_id, its 'failed' status and its index on created_at.
-- A payment is idempotent on its provider reference (the Kaspi payment / transaction id):
-- the notification handler inserts with ON CONFLICT DO NOTHING on payments_provider_reference_once.
-- idx_orders_number is not created: UNIQUE (order_number) already indexes it.

CREATE TABLE IF NOT EXISTS orders (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_number     varchar(50)   NOT NULL,
  customer_id      uuid REFERENCES customers (id) ON DELETE SET NULL,
  conversation_id  uuid REFERENCES conversations (id) ON DELETE SET NULL,
  amount           numeric(12, 2) NOT NULL,
  currency         varchar(3)    NOT NULL DEFAULT 'KZT',
  description      text,
  status           varchar(20)   NOT NULL DEFAULT 'pending',
  payment_link     text,
  metadata         jsonb         NOT NULL DEFAULT '{}'::jsonb,
  expires_at       timestamptz,
  paid_at          timestamptz,
  created_at       timestamptz   NOT NULL DEFAULT now(),
  updated_at       timestamptz   NOT NULL DEFAULT now(),
  CONSTRAINT orders_order_number_key UNIQUE (order_number),
  CONSTRAINT orders_order_number_format CHECK (order_number ~ '^[A-Za-z0-9_-]{1,50}$'),
  CONSTRAINT orders_amount_check CHECK (amount > 0),
  CONSTRAINT orders_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
  CONSTRAINT orders_status_check CHECK (status IN ('pending', 'paid', 'cancelled', 'refunded')),
  CONSTRAINT orders_paid_at_check CHECK (status NOT IN ('paid', 'refunded') OR paid_at IS NOT NULL),
  CONSTRAINT orders_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);

COMMENT ON TABLE orders IS
  'Orders awaiting payment through Kaspi: created with a payment link (workflow kaspi_link_generator), marked paid when a payment notification matches (kaspi_payment_handler).';
COMMENT ON COLUMN orders.order_number IS 'Public order number, put into the Kaspi link as order_id and matched against notifications.';
COMMENT ON COLUMN orders.payment_link IS 'kaspi.kz/pay/<merchant>?amount=<amount>&order_id=<order_number> (spec §4.2.2).';

CREATE INDEX IF NOT EXISTS idx_orders_customer ON orders (customer_id);
CREATE INDEX IF NOT EXISTS idx_orders_status ON orders (status);
CREATE INDEX IF NOT EXISTS idx_orders_pending_amount ON orders (amount, created_at) WHERE status = 'pending';

CREATE TRIGGER orders_updated_at BEFORE UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION truffles_set_updated_at();

CREATE TABLE IF NOT EXISTS payments (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id            uuid REFERENCES orders (id) ON DELETE SET NULL,
  customer_id         uuid REFERENCES customers (id) ON DELETE SET NULL,
  amount              numeric(12, 2) NOT NULL,
  currency            varchar(3)    NOT NULL DEFAULT 'KZT',
  provider            varchar(50)   NOT NULL DEFAULT 'kaspi',
  provider_reference  varchar(100)  NOT NULL,
  sender_name         varchar(255),
  sender_phone        varchar(20),
  status              varchar(20)   NOT NULL DEFAULT 'received',
  matched_at          timestamptz,
  paid_at             timestamptz,
  raw_notification    jsonb,
  created_at          timestamptz   NOT NULL DEFAULT now(),
  CONSTRAINT payments_amount_check CHECK (amount > 0),
  CONSTRAINT payments_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
  CONSTRAINT payments_provider_check CHECK (provider IN ('kaspi', 'card', 'other')),
  CONSTRAINT payments_status_check CHECK (status IN ('received', 'matched', 'confirmed', 'disputed', 'failed')),
  CONSTRAINT payments_matched_check CHECK (status NOT IN ('matched', 'confirmed') OR (order_id IS NOT NULL AND matched_at IS NOT NULL)),
  CONSTRAINT payments_provider_reference_once UNIQUE (provider, provider_reference)
);

COMMENT ON TABLE payments IS
  'Payment notifications (Kaspi Merchant API or the notification listener), one row per provider payment id. status received with no order_id = an unidentified payment awaiting manual matching.';
COMMENT ON COLUMN payments.provider_reference IS 'The provider''s payment / transaction id: a repeated notification with the same id is ignored.';
COMMENT ON COLUMN payments.paid_at IS 'When the payer paid, as the notification says (created_at is when it arrived).';
COMMENT ON COLUMN payments.raw_notification IS 'The notification as received (after signature check), for disputes.';

CREATE INDEX IF NOT EXISTS idx_payments_order ON payments (order_id);
CREATE INDEX IF NOT EXISTS idx_payments_status ON payments (status);
CREATE INDEX IF NOT EXISTS idx_payments_amount ON payments (amount);
CREATE INDEX IF NOT EXISTS idx_payments_created ON payments (created_at);

CREATE OR REPLACE VIEW unmatched_payments AS
  SELECT id, amount, currency, provider, provider_reference, sender_name, sender_phone, paid_at, created_at
  FROM payments
  WHERE order_id IS NULL AND status = 'received';

COMMENT ON VIEW unmatched_payments IS
  'Payments no order was found for (spec §4.2.3 "неопознанный"): to be matched by hand in the admin panel.';
