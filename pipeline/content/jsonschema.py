"""Export the schemas as JSON Schema files for editors (yaml-language-server)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.content.schema import ChannelConfig, ChannelsFile, PostFrontMatter
from pipeline.networks import network_class, network_names

SCHEMA_DIR = "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def post_schema() -> dict:
    schema = PostFrontMatter.model_json_schema()
    schema["$schema"] = DIALECT
    schema["title"] = "Post front matter"
    return schema


def channels_schema() -> dict:
    """channels.yml, with each network's own options as one branch of `oneOf`."""
    schema = ChannelsFile.model_json_schema(ref_template="#/$defs/{model}")
    schema["$schema"] = DIALECT
    schema["title"] = "content/channels.yml"
    defs = schema.setdefault("$defs", {})
    common = defs.pop("ChannelConfig")
    branches = []
    for name in network_names():
        options = network_class(name).Options.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(options.pop("$defs", {}))
        properties = {**common["properties"], **options.get("properties", {})}
        properties["network"] = {"const": name, "description": common["properties"]["network"]
                                 .get("description", "")}
        branches.append({
            "title": f"{name} channel",
            "type": "object",
            "properties": properties,
            "required": sorted({"network", *options.get("required", [])}),
            "additionalProperties": False,
        })
    defs["ChannelConfig"] = {"description": ChannelConfig.__doc__, "oneOf": branches}
    return schema


def profile_schema() -> dict:
    from pipeline.content.profiles import ProfileFile

    schema = ProfileFile.model_json_schema()
    schema["$schema"] = DIALECT
    schema["title"] = "content/profiles/<channel>.yml"
    return schema


def schema_files() -> dict[str, str]:
    """File name -> JSON text, as committed under schemas/."""
    return {
        "post.schema.json": json.dumps(post_schema(), indent=2, ensure_ascii=False) + "\n",
        "channels.schema.json": json.dumps(channels_schema(), indent=2, ensure_ascii=False) + "\n",
        "profile.schema.json": json.dumps(profile_schema(), indent=2, ensure_ascii=False) + "\n",
    }


def write_schemas(root: Path) -> list[Path]:
    folder = root / SCHEMA_DIR
    folder.mkdir(exist_ok=True)
    written = []
    for name, text in schema_files().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path.relative_to(root))
    return written
