-- 006: one name for a key's display prefix everywhere. The API has always called it
-- key_prefix (as masters.key_prefix is called); the keys column said token_prefix.
-- keys.token_hash keeps its name: it is sha256(client token), the balancer's lookup
-- key in config:keys (DESIGN §6), and the sync trigger of 003 reads it by that name.
ALTER TABLE keys RENAME COLUMN token_prefix TO key_prefix;
