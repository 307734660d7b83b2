"""Train a few steps under a tf.distribute strategy in a fresh process and print the per-step losses.

Used by tests/test_distribution.py: TensorFlow fixes its logical devices and its cluster at start-up,
so every strategy gets its own process.

    python -m tests.distributed_run CONFIG_JSON DATA_DIR RUN_DIR --strategy mirrored --cpus 2 --steps 5 \
        [--init-from RUN_DIR]
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config_json")
    parser.add_argument("data_dir")
    parser.add_argument("run_dir")
    parser.add_argument("--strategy", default="default")
    parser.add_argument("--cpus", type=int, default=1, help="logical CPU devices to split the CPU into")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--init-from", help="a trained model to start from (fine-tuning)")
    args = parser.parse_args()
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * args.cpus)
    from asr.recipe import config_from_dict
    from asr.training.trainer import Trainer
    trainer = Trainer(config_from_dict(json.loads(args.config_json)), args.data_dir, args.run_dir, args.strategy,
                      args.init_from)
    losses, log_step = [], trainer.log.step

    def record(state, loss, *rest):
        losses.append(loss)
        log_step(state, loss, *rest)

    trainer.log.step = record
    trainer.fit(stop_after_steps=args.steps)
    print("LOSSES " + json.dumps({"replicas": trainer.distribution.num_replicas_in_sync, "losses": losses}))


if __name__ == "__main__":
    main()
