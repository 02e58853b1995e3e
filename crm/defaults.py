"""The CRM's starting configuration: the default sales pipeline.

Plain data plus one function taking the model classes, so the data migration (with its
historical models) and the post_migrate check (with today's) create the same thing.
"""

PIPELINE_NAME = "Sales"
STAGES = [
    # (name, position, probability %, outcome)
    ("Qualification", 1, 10, "open"),
    ("Proposal", 2, 40, "open"),
    ("Negotiation", 3, 70, "open"),
    ("Won", 4, 100, "won"),
    ("Lost", 5, 0, "lost"),
]


def ensure_default_pipeline(pipeline_model, stage_model) -> None:
    """Create the default pipeline with its stages unless a default pipeline exists."""
    if pipeline_model.objects.filter(is_default=True).exists():
        return
    pipeline, _ = pipeline_model.objects.get_or_create(
        name=PIPELINE_NAME, defaults={"is_default": True}
    )
    if not pipeline.is_default:
        pipeline.is_default = True
        pipeline.save(update_fields=["is_default"])
    for name, position, probability, outcome in STAGES:
        stage_model.objects.get_or_create(
            pipeline=pipeline,
            name=name,
            defaults={"position": position, "probability": probability, "outcome": outcome},
        )
