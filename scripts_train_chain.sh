#!/usr/bin/env bash
# train the given models one after another (never two at once on 2 cores), one log each
cd "$(dirname "$0")"
for m in "$@"; do
  .venv/bin/python train.py --model "$m" > "logs/$m.log" 2>&1 || echo "FAILED $m" >> logs/chain.log
  echo "$(date +%T) done $m" >> logs/chain.log
done
