#!/usr/bin/env bash
# yesno (OpenSLR 1): 60 recordings of eight Hebrew yes/no; a minutes-long smoke test on real speech.
#   ./run.sh [--config conf/tiny.yaml] [--data-dir YOUR_COPY] [--stage N] [--stop-stage N]
# Stages and options: ../common/corpus_recipe.sh. Results and expected figures: README.md.
cd "$(dirname "$0")"
corpus=yesno
config=conf/tiny.yaml
word_lm=1
eval_splits=(dev test)
source ../common/corpus_recipe.sh
