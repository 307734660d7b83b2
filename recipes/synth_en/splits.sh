# Sourced by run.sh and compare.sh: the splits a synth_en corpus is scored on, in the order its tables list
# them, those of DATA_DIR that have a manifest (test_unseen_neural only in corpora with neural voices).
#   mapfile -t splits < <(scored_splits DATA_DIR)
scored_splits() {
  local split
  for split in dev test test_unseen_voices test_unseen_engine test_noisy test_unseen_neural; do
    if [ -s "$1/manifests/$split.jsonl" ]; then echo "$split"; fi
  done
}
