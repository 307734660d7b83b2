"""Reading a recipe config: YAML or a dict -> a RecipeConfig checked whole, or one AsrError naming the file
and the setting.

The checks come in three layers: each value alone (its type, range and fixed choices: asr.config, the ground
floor every stage imports), the settings whose allowed values are an extension point's registry (encoders,
decoding strategies, noise sources: each registry is the one list of its names, so a registered addition is
a valid choice at once), then the settings together (asr.config_checks, and the encoder's normalisation,
which asks the encoder registry). This module sits above the stages whose registries it reads, so none of
them may import it: they take a RecipeConfig already checked.
"""

from pathlib import Path

import yaml

from asr.augment.registry import noise_source_names
from asr.config import build_config, check_choice, check_items
from asr.config_checks import check_together
from asr.decoding.strategies import strategy_names
from asr.errors import AsrError
from asr.models.registry import check_normalisation, encoder_names

# settings whose value is one of a registry's names (read at each check, so registered additions count)
REGISTRY_CHOICES = {"model.encoder": encoder_names, "decode.strategy": strategy_names}
# list settings whose every item is one of a registry's names
REGISTRY_ITEMS = {"train.augment.noise.sources": noise_source_names}


def setting(config, name):
    """The value of the dotted setting `name` ("model.encoder") of a RecipeConfig."""
    value = config
    for key in name.split("."):
        value = getattr(value, key)
    return value


def check_registry_choices(config, source):
    for name, names in REGISTRY_CHOICES.items():
        check_choice(setting(config, name), names(), name, source)
    for name, names in REGISTRY_ITEMS.items():
        check_items(setting(config, name), names(), name, source)


def config_from_dict(values, source="config"):
    """A RecipeConfig from a dict of sections, checked whole; AsrError names `source` and the setting."""
    config = build_config(values, source)
    check_registry_choices(config, source)
    check_together(config, source)
    check_normalisation(config.model, source)
    return config


def load_config(path):
    """Read a recipe YAML file into a RecipeConfig; AsrError names the file and the bad key."""
    path = Path(path)
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AsrError(f"{path}: config file not found") from None
    except yaml.YAMLError as e:
        raise AsrError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not values:
        raise AsrError(f"{path}: the config is empty (give at least the sections you change; "
                       "recipes/synth_en/conf/small.yaml is an example)")
    return config_from_dict(values, str(path))
