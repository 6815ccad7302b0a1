-- Operators sign in with passkeys (operator_sessions) and sign their own decisions: the
-- password accounts of the removed bearer-token login go, hashes included.
drop table if exists operators;
