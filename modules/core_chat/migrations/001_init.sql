-- core_chat 001: the tenant's chat schema (spec §2.2.4, completed from the full schema in §8).
--
-- Applied once per tenant, inside a transaction opened by the factory: no BEGIN/COMMIT here and
-- no CREATE INDEX CONCURRENTLY. PostgreSQL 15 core only: gen_random_uuid() is built in since 13,
-- so neither uuid-ossp nor pgcrypto is created; vectors live in Qdrant, not in pgvector.
--
-- Deliberate differences from the spec's sketch (each keeps its intent):
--   * CHECK constraints spell out the value lists the spec gives in comments.
--   * billing_events.conversation_id and audit rows never block deleting a customer's data on
--     request (data law): ON DELETE SET NULL instead of a plain reference.
--   * one open (active or escalated) conversation per customer and channel, and inbound
--     deduplication on (conversation_id, channel_message_id): both enforced by unique indexes.
--   * idx_customers_phone is not created: UNIQUE (phone) already indexes it.

-- ============================================================================================
-- updated_at maintenance
-- ============================================================================================

CREATE OR REPLACE FUNCTION truffles_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$fn$;

COMMENT ON FUNCTION truffles_set_updated_at() IS
  'Trigger function: sets updated_at to now() on every UPDATE of a row.';

-- The workflows pass client addresses from request headers; a malformed one becomes NULL
-- instead of failing the statement that writes the audit row.
CREATE OR REPLACE FUNCTION truffles_try_inet(v text) RETURNS inet
LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
  RETURN v::inet;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$fn$;

COMMENT ON FUNCTION truffles_try_inet(text) IS 'v::inet, or NULL when v is not an address.';

-- ============================================================================================
-- Customers (the bot's end users)
-- ============================================================================================

CREATE TABLE IF NOT EXISTS customers (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  phone       varchar(20)  NOT NULL,
  name        varchar(255),
  email       varchar(255),
  channel     varchar(50),
  language    varchar(10)  NOT NULL DEFAULT 'ru',
  timezone    varchar(50)  NOT NULL DEFAULT 'Asia/Almaty',
  metadata    jsonb        NOT NULL DEFAULT '{}'::jsonb,
  tags        text[]       NOT NULL DEFAULT '{}',
  is_blocked  boolean      NOT NULL DEFAULT false,
  created_at  timestamptz  NOT NULL DEFAULT now(),
  updated_at  timestamptz  NOT NULL DEFAULT now(),
  CONSTRAINT customers_phone_key UNIQUE (phone),
  CONSTRAINT customers_phone_format CHECK (phone ~ '^\+?[0-9]{5,19}$'),
  CONSTRAINT customers_channel_check CHECK (channel IN ('whatsapp', 'instagram', 'telegram', 'web')),
  CONSTRAINT customers_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);

COMMENT ON TABLE customers IS
  'End users of the bot (buyers), one row per phone number. Personal data: every access by an operator is audited in audit_logs; deleting a customer deletes their conversations and messages.';
COMMENT ON COLUMN customers.phone IS 'International format, digits only with an optional leading +, e.g. 77771234567.';
COMMENT ON COLUMN customers.channel IS 'Channel the customer first wrote from: whatsapp, instagram, telegram, web.';

CREATE INDEX IF NOT EXISTS idx_customers_created ON customers (created_at);

CREATE TRIGGER customers_updated_at BEFORE UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION truffles_set_updated_at();

-- ============================================================================================
-- Conversations and messages
-- ============================================================================================

CREATE TABLE IF NOT EXISTS conversations (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id              uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  channel                  varchar(50)  NOT NULL,
  channel_conversation_id  varchar(255),
  status                   varchar(20)  NOT NULL DEFAULT 'active',
  assigned_to              varchar(255),
  last_message_at          timestamptz,
  created_at               timestamptz  NOT NULL DEFAULT now(),
  updated_at               timestamptz  NOT NULL DEFAULT now(),
  CONSTRAINT conversations_channel_check CHECK (channel IN ('whatsapp', 'instagram', 'telegram', 'web')),
  CONSTRAINT conversations_status_check CHECK (status IN ('active', 'closed', 'escalated'))
);

COMMENT ON TABLE conversations IS
  'Dialogs between a customer and the bot or an operator. At most one open (active or escalated) conversation per customer and channel; a message after closing opens a new one.';
COMMENT ON COLUMN conversations.channel_conversation_id IS 'The dialog''s id in the channel, if the channel has one.';
COMMENT ON COLUMN conversations.status IS 'active: the bot answers; escalated: an operator answers and the bot stays silent; closed.';
COMMENT ON COLUMN conversations.assigned_to IS 'Operator handling an escalated conversation.';

CREATE INDEX IF NOT EXISTS idx_conversations_customer ON conversations (customer_id);
CREATE INDEX IF NOT EXISTS idx_conversations_status ON conversations (status);
CREATE INDEX IF NOT EXISTS idx_conversations_last_message ON conversations (last_message_at DESC);
CREATE UNIQUE INDEX IF NOT EXISTS conversations_one_open
  ON conversations (customer_id, channel) WHERE status IN ('active', 'escalated');

CREATE TRIGGER conversations_updated_at BEFORE UPDATE ON conversations
  FOR EACH ROW EXECUTE FUNCTION truffles_set_updated_at();

CREATE TABLE IF NOT EXISTS messages (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id     uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  direction           varchar(10)  NOT NULL,
  sender_type         varchar(20)  NOT NULL,
  content             text,
  content_type        varchar(20)  NOT NULL DEFAULT 'text',
  media_url           text,
  template_name       varchar(100),
  metadata            jsonb        NOT NULL DEFAULT '{}'::jsonb,
  channel_message_id  varchar(255),
  status              varchar(20)  NOT NULL DEFAULT 'sent',
  error_message       text,
  created_at          timestamptz  NOT NULL DEFAULT now(),
  CONSTRAINT messages_direction_check CHECK (direction IN ('inbound', 'outbound')),
  CONSTRAINT messages_sender_type_check CHECK (sender_type IN ('customer', 'bot', 'operator')),
  CONSTRAINT messages_sender_direction CHECK ((direction = 'inbound') = (sender_type = 'customer')),
  CONSTRAINT messages_content_type_check
    CHECK (content_type IN ('text', 'image', 'document', 'audio', 'video', 'template', 'other')),
  CONSTRAINT messages_status_check CHECK (status IN ('received', 'sent', 'delivered', 'read', 'failed')),
  CONSTRAINT messages_template_name CHECK (content_type <> 'template' OR template_name IS NOT NULL),
  CONSTRAINT messages_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);

COMMENT ON TABLE messages IS
  'Every message of a conversation, inbound (from the customer) and outbound (bot or operator), with its delivery status in the channel.';
COMMENT ON COLUMN messages.channel_message_id IS 'The message''s id in the channel (WhatsApp wamid...); inbound duplicates are refused per conversation.';
COMMENT ON COLUMN messages.status IS 'received (inbound), then for outbound: sent, delivered, read or failed as the channel reports.';
COMMENT ON COLUMN messages.metadata IS 'Routing facts for bot replies (intent, model, sources), channel media facts, etc.';

CREATE INDEX IF NOT EXISTS idx_messages_conversation ON messages (conversation_id);
CREATE INDEX IF NOT EXISTS idx_messages_created ON messages (created_at);
CREATE INDEX IF NOT EXISTS idx_messages_channel_id ON messages (channel_message_id);
CREATE UNIQUE INDEX IF NOT EXISTS messages_channel_message_once
  ON messages (conversation_id, channel_message_id) WHERE channel_message_id IS NOT NULL;

-- ============================================================================================
-- Knowledge base (texts and metadata here; vectors in the Qdrant collection "knowledge")
-- ============================================================================================

CREATE TABLE IF NOT EXISTS knowledge_documents (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  filename           varchar(255) NOT NULL,
  original_filename  varchar(255),
  file_type          varchar(50),
  file_size_bytes    bigint,
  content_hash       varchar(64),
  chunk_count        integer      NOT NULL DEFAULT 0,
  status             varchar(20)  NOT NULL DEFAULT 'processing',
  error_message      text,
  metadata           jsonb        NOT NULL DEFAULT '{}'::jsonb,
  created_at         timestamptz  NOT NULL DEFAULT now(),
  updated_at         timestamptz  NOT NULL DEFAULT now(),
  CONSTRAINT knowledge_documents_status_check CHECK (status IN ('processing', 'ready', 'error', 'deleted')),
  CONSTRAINT knowledge_documents_chunk_count CHECK (chunk_count >= 0),
  CONSTRAINT knowledge_documents_size CHECK (file_size_bytes IS NULL OR file_size_bytes >= 0),
  CONSTRAINT knowledge_documents_hash CHECK (content_hash IS NULL OR content_hash ~ '^[0-9a-f]{64}$')
);

COMMENT ON TABLE knowledge_documents IS
  'Documents of the knowledge base (RAG). Their chunks are in knowledge_chunks and, as vectors with payload document_id, in the Qdrant collection "knowledge".';
COMMENT ON COLUMN knowledge_documents.content_hash IS 'SHA-256 (hex) of the extracted text: a document already in the base (not deleted) is re-indexed, not duplicated.';

CREATE INDEX IF NOT EXISTS idx_knowledge_docs_status ON knowledge_documents (status);
CREATE UNIQUE INDEX IF NOT EXISTS knowledge_documents_hash_once
  ON knowledge_documents (content_hash) WHERE content_hash IS NOT NULL AND status <> 'deleted';

CREATE TRIGGER knowledge_documents_updated_at BEFORE UPDATE ON knowledge_documents
  FOR EACH ROW EXECUTE FUNCTION truffles_set_updated_at();

CREATE TABLE IF NOT EXISTS knowledge_chunks (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  document_id  uuid NOT NULL REFERENCES knowledge_documents (id) ON DELETE CASCADE,
  chunk_index  integer      NOT NULL,
  content      text         NOT NULL,
  token_count  integer,
  vector_id    varchar(100),
  metadata     jsonb        NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz  NOT NULL DEFAULT now(),
  CONSTRAINT knowledge_chunks_index_check CHECK (chunk_index >= 0),
  CONSTRAINT knowledge_chunks_tokens_check CHECK (token_count IS NULL OR token_count >= 0),
  CONSTRAINT knowledge_chunks_once UNIQUE (document_id, chunk_index)
);

COMMENT ON TABLE knowledge_chunks IS
  'Text chunks (500-1000 tokens with overlap) of knowledge_documents; vector_id is the point id in the Qdrant collection "knowledge".';

CREATE INDEX IF NOT EXISTS idx_knowledge_chunks_document ON knowledge_chunks (document_id);

-- ============================================================================================
-- AI billing: one row per LLM, embedding or transcription call (spec §5.4)
-- ============================================================================================

CREATE TABLE IF NOT EXISTS billing_events (
  id               bigserial PRIMARY KEY,
  event_type       varchar(50)   NOT NULL,
  model_provider   varchar(50)   NOT NULL,
  model_name       varchar(100)  NOT NULL,
  input_tokens     integer       NOT NULL DEFAULT 0,
  output_tokens    integer       NOT NULL DEFAULT 0,
  total_tokens     integer GENERATED ALWAYS AS (input_tokens + output_tokens) STORED,
  cost_usd         numeric(10, 6),
  conversation_id  uuid REFERENCES conversations (id) ON DELETE SET NULL,
  workflow_id      varchar(255),
  metadata         jsonb         NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz   NOT NULL DEFAULT now(),
  CONSTRAINT billing_events_type_check CHECK (event_type IN ('llm_call', 'embedding', 'transcription')),
  CONSTRAINT billing_events_tokens_check CHECK (input_tokens >= 0 AND output_tokens >= 0),
  CONSTRAINT billing_events_cost_check CHECK (cost_usd IS NULL OR cost_usd >= 0)
);

COMMENT ON TABLE billing_events IS
  'Every LLM, embedding or transcription call with its tokens and cost in USD (spec §5.4); the console''s AI-cost view reads it. cost_usd is NULL when the model''s price is unknown.';
COMMENT ON COLUMN billing_events.conversation_id IS 'Set to NULL when the conversation is deleted, so the cost history stays.';
COMMENT ON COLUMN billing_events.workflow_id IS 'n8n workflow id that made the call.';

CREATE INDEX IF NOT EXISTS idx_billing_created ON billing_events (created_at);
CREATE INDEX IF NOT EXISTS idx_billing_model ON billing_events (model_provider, model_name);
CREATE INDEX IF NOT EXISTS idx_billing_conversation ON billing_events (conversation_id);

-- ============================================================================================
-- Settings (key -> JSON value), edited through core_admin's API
-- ============================================================================================

CREATE TABLE IF NOT EXISTS settings (
  key          varchar(100) PRIMARY KEY,
  value        jsonb        NOT NULL,
  description  text,
  updated_at   timestamptz  NOT NULL DEFAULT now(),
  CONSTRAINT settings_key_format CHECK (key ~ '^[a-z][a-z0-9_]*$')
);

COMMENT ON TABLE settings IS
  'Tenant settings of the bot: key -> JSON value. The spec''s defaults plus the model router''s models and prices and the canned replies.';

CREATE TRIGGER settings_updated_at BEFORE UPDATE ON settings
  FOR EACH ROW EXECUTE FUNCTION truffles_set_updated_at();

-- The spec's default rows (§8), then the ones the chat workflow reads. Existing rows are kept.
INSERT INTO settings (key, value, description) VALUES
  ('bot_name', '"Truffles Assistant"', 'Имя бота'),
  ('welcome_message', '"Здравствуйте! Чем могу помочь?"', 'Приветственное сообщение'),
  ('working_hours', '{"start": "09:00", "end": "18:00", "timezone": "Asia/Almaty"}', 'Рабочие часы'),
  ('escalation_keywords', '["оператор", "человек", "менеджер", "жалоба"]', 'Ключевые слова для эскалации'),
  ('farewell_message', '"Спасибо за обращение! Хорошего дня."', 'Ответ на прощание и благодарность (без LLM)'),
  ('escalation_message', '"Передаю ваш вопрос менеджеру, он скоро ответит."', 'Ответ при передаче диалога оператору'),
  ('fallback_message', '"Извините, сейчас не могу ответить. Попробуйте позже или напишите «оператор»."', 'Ответ, когда модель недоступна'),
  ('model_router', '{
      "classifier": "gpt-4.1-mini",
      "faq": "gpt-4.1-mini",
      "complex": "gpt-4.1",
      "embedding": "text-embedding-3-small",
      "provider": "openai",
      "top_k": 5,
      "history_messages": 10,
      "min_score": 0.3,
      "embedding_dimensions": 1536,
      "greeting_keywords": ["привет", "здравствуйте", "добрый день", "добрый вечер", "доброе утро", "салам", "сәлем", "hello", "hi"],
      "farewell_keywords": ["пока", "до свидания", "спасибо", "рахмет", "thanks", "bye"],
      "prices_usd_per_1m": {
        "gemini-2.0-flash": [0.30, 0.30],
        "gpt-4.1-mini": [0.40, 1.60],
        "gpt-4.1": [2.00, 8.00],
        "claude-sonnet-4": [3.00, 15.00],
        "llama3.3": [0, 0],
        "text-embedding-3-small": [0.02, 0]
      }
    }', 'Model router (§2.2.3, §5.2-5.3): models per intent, RAG parameters, keywords answered without an LLM, prices [input, output] USD per 1M tokens')
ON CONFLICT (key) DO NOTHING;

-- ============================================================================================
-- Audit log: every change and every operation on personal data
-- ============================================================================================

CREATE TABLE IF NOT EXISTS audit_logs (
  id             bigserial PRIMARY KEY,
  actor_id       varchar(255),
  actor_type     varchar(50),
  action         varchar(100) NOT NULL,
  resource_type  varchar(100),
  resource_id    varchar(255),
  old_value      jsonb,
  new_value      jsonb,
  ip_address     inet,
  user_agent     text,
  created_at     timestamptz  NOT NULL DEFAULT now(),
  CONSTRAINT audit_logs_actor_type_check CHECK (actor_type IN ('user', 'system', 'api'))
);

COMMENT ON TABLE audit_logs IS
  'Append-only audit trail: who (actor) did what (action) to which resource, with old and new values. Written by the workflows for settings changes, operator replies, escalations, knowledge changes, payments and new customers.';

CREATE INDEX IF NOT EXISTS idx_audit_created ON audit_logs (created_at);
CREATE INDEX IF NOT EXISTS idx_audit_resource ON audit_logs (resource_type, resource_id);
