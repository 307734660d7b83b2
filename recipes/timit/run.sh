#!/usr/bin/env bash
# TIMIT (LDC93S1, your copy via --data-dir): 39-phone BiLSTM-CTC, PER on the core test set.
#   ./run.sh [--config conf/medium.yaml] [--data-dir YOUR_COPY] [--stage N] [--stop-stage N]
# Stages and options: ../common/corpus_recipe.sh. Results and expected figures: README.md.
cd "$(dirname "$0")"
corpus=timit
config=conf/medium.yaml
word_lm=0
eval_splits=(dev test)
source ../common/corpus_recipe.sh
