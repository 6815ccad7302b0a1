-- 008_refused_transactions: a stored transaction the node refuses for good (its gas limit above
-- the block gas limit) is marked 'refused', and a filler (a zero-value transfer to the sender
-- itself) is signed at its nonce, replacing it: the later transactions of that sender become
-- minable again, unchanged. The refused transaction's submissions are requeued once the filler is
-- mined, when the refused one provably can never be (ADR 0007). The filler and the refused
-- transaction share a nonce, so the (sender, nonce) uniqueness leaves out refused and dropped rows.
alter table chain_txs drop constraint chain_txs_kind_check;
alter table chain_txs add constraint chain_txs_kind_check check (kind in ('settlement', 'refund', 'redemption', 'filler'));
alter table chain_txs drop constraint chain_txs_status_check;
alter table chain_txs add constraint chain_txs_status_check check (status in ('sent', 'mined', 'reverted', 'dropped', 'refused'));
alter table chain_txs add column replaces text references chain_txs (tx_hash);
alter table chain_txs drop constraint chain_txs_sender_nonce_key;
create unique index chain_txs_sender_nonce_idx on chain_txs (sender, nonce) where status in ('sent', 'mined', 'reverted');
