#!/usr/bin/env bash
# Submits the shards as an AWS Batch array job of SHARDS children (AWS_BATCH_JOB_ARRAY_INDEX and
# AWS_BATCH_JOB_ARRAY_SIZE are set in each, which `--shard auto` reads), then the merge, which depends
# on the whole array (docs/scale-out.md). Register the two job definitions of this folder first:
#   aws batch register-job-definition --cli-input-json file://deploy/aws-batch/job-definition.json
#   aws batch register-job-definition --cli-input-json file://deploy/aws-batch/merge-job-definition.json
#   SHARDS=8 QUEUE=my-queue deploy/aws-batch/submit.sh
set -euo pipefail
shards=${SHARDS:-8}
queue=${QUEUE:?set QUEUE to a job queue}
array=$(aws batch submit-job --job-name regionsim-shards --job-queue "$queue" \
    --job-definition regionsim-shard --array-properties size="$shards" --query jobId --output text)
merge=$(aws batch submit-job --job-name regionsim-merge --job-queue "$queue" \
    --job-definition regionsim-merge --depends-on jobId="$array" --query jobId --output text)
echo "$array $merge"
