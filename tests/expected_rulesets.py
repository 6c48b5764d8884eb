"""Independent transcription of the exercise-science tables of ``/work/shared/domain.md`` for tests.

Transcribed by hand from domain.md sections A.3, A.4, A.5, B.1, B.2, C and D (semantics per K, names per H.3),
without looking at the service's seed data, so tests can check that the service reproduces the tables exactly.

Conventions:
* Muscle ids are the table ids with parenthesised notes and quotes stripped; groups are never expanded.
* Rows where the source states no laterality put every muscle under ``"same"``.
* ``"side not stated"`` in the source maps to ``"unspecified"``.
* Only non-empty laterality keys are included.
* ``nasm_ces_2011`` (default) adopts the ``nasm_cpt4_6`` push/pull rows of table C.
"""

# (ruleset, assessment, compensation) -> {"overactive": {laterality: frozenset(muscles)}, "underactive": {...}}
EXPECTED_ROWS: dict[tuple[str, str, str], dict[str, dict[str, frozenset[str]]]] = {
    # ---------------------------------------------------------------- nasm_ces_2011: overhead squat (A.3)
    ("nasm_ces_2011", "overhead_squat", "feet_turn_out"): {
        "overactive": {
            "same": frozenset({"soleus", "lateral_gastrocnemius", "biceps_femoris_short_head", "tensor_fasciae_latae"}),
        },
        "underactive": {
            "same": frozenset(
                {
                    "medial_gastrocnemius",
                    "medial_hamstring_complex",
                    "gluteus_medius",
                    "gluteus_maximus",
                    "gracilis",
                    "sartorius",
                    "popliteus",
                }
            ),
        },
    },
    ("nasm_ces_2011", "overhead_squat", "feet_flatten"): {
        "overactive": {
            "same": frozenset(
                {"peroneals", "lateral_gastrocnemius", "biceps_femoris_short_head", "tensor_fasciae_latae"}
            ),
        },
        "underactive": {
            "same": frozenset({"anterior_tibialis", "posterior_tibialis", "medial_gastrocnemius", "gluteus_medius"}),
        },
    },
    ("nasm_ces_2011", "overhead_squat", "heels_rise"): {
        "overactive": {"same": frozenset({"soleus"})},
        "underactive": {"same": frozenset({"anterior_tibialis"})},
    },
    ("nasm_ces_2011", "overhead_squat", "knees_move_inward"): {
        "overactive": {
            "same": frozenset(
                {
                    "adductor_complex",
                    "biceps_femoris_short_head",
                    "tensor_fasciae_latae",
                    "lateral_gastrocnemius",
                    "vastus_lateralis",
                }
            ),
        },
        "underactive": {
            "same": frozenset(
                {
                    "medial_hamstring_complex",
                    "medial_gastrocnemius",
                    "gluteus_medius",
                    "gluteus_maximus",
                    "vastus_medialis_oblique",
                }
            ),
        },
    },
    ("nasm_ces_2011", "overhead_squat", "knees_move_outward"): {
        "overactive": {
            "same": frozenset({"piriformis", "biceps_femoris", "tensor_fasciae_latae", "gluteus_minimus"}),
        },
        "underactive": {
            "same": frozenset({"adductor_complex", "medial_hamstring_complex", "gluteus_maximus"}),
        },
    },
    ("nasm_ces_2011", "overhead_squat", "excessive_forward_lean"): {
        "overactive": {
            "same": frozenset({"soleus", "gastrocnemius", "hip_flexor_complex", "piriformis", "abdominal_complex"}),
        },
        "underactive": {
            "same": frozenset({"anterior_tibialis", "gluteus_maximus", "erector_spinae", "intrinsic_core_stabilizers"}),
        },
    },
    ("nasm_ces_2011", "overhead_squat", "low_back_arches"): {
        "overactive": {"same": frozenset({"hip_flexor_complex", "erector_spinae", "latissimus_dorsi"})},
        "underactive": {
            "same": frozenset({"gluteus_maximus", "hamstring_complex", "intrinsic_core_stabilizers"}),
        },
    },
    ("nasm_ces_2011", "overhead_squat", "low_back_rounds"): {
        "overactive": {
            "same": frozenset({"hamstring_complex", "adductor_magnus", "rectus_abdominis", "external_oblique"}),
        },
        "underactive": {
            "same": frozenset(
                {
                    "gluteus_maximus",
                    "erector_spinae",
                    "intrinsic_core_stabilizers",
                    "hip_flexor_complex",
                    "latissimus_dorsi",
                }
            ),
        },
    },
    ("nasm_ces_2011", "overhead_squat", "arms_fall_forward"): {
        "overactive": {
            "same": frozenset(
                {"latissimus_dorsi", "pectoralis_major", "pectoralis_minor", "coracobrachialis", "teres_major"}
            ),
        },
        "underactive": {
            "same": frozenset(
                {"middle_trapezius", "lower_trapezius", "rhomboids", "posterior_deltoid", "rotator_cuff"}
            ),
        },
    },
    ("nasm_ces_2011", "overhead_squat", "asymmetric_weight_shift"): {
        "overactive": {
            "same": frozenset({"adductor_complex", "tensor_fasciae_latae"}),
            "opposite": frozenset({"gastrocnemius", "soleus", "piriformis", "biceps_femoris", "gluteus_medius"}),
        },
        "underactive": {
            "same": frozenset({"gluteus_medius"}),
            "opposite": frozenset({"adductor_complex"}),
            "unspecified": frozenset({"anterior_tibialis"}),
        },
    },
    # ---------------------------------------------------------------- nasm_ces_2011: single-leg squat (B.1)
    ("nasm_ces_2011", "single_leg_squat", "knee_valgus"): {
        "overactive": {
            "same": frozenset(
                {
                    "adductor_complex",
                    "biceps_femoris_short_head",
                    "tensor_fasciae_latae",
                    "lateral_gastrocnemius",
                    "vastus_lateralis",
                }
            ),
        },
        "underactive": {
            "same": frozenset(
                {
                    "medial_hamstring_complex",
                    "medial_gastrocnemius",
                    "gluteus_medius",
                    "gluteus_maximus",
                    "vastus_medialis_oblique",
                }
            ),
        },
    },
    ("nasm_ces_2011", "single_leg_squat", "hip_hike"): {
        "overactive": {
            "same": frozenset({"tensor_fasciae_latae", "gluteus_minimus"}),
            "opposite": frozenset({"quadratus_lumborum"}),
        },
        "underactive": {"same": frozenset({"adductor_complex", "gluteus_medius"})},
    },
    ("nasm_ces_2011", "single_leg_squat", "hip_drop"): {
        "overactive": {"same": frozenset({"adductor_complex"})},
        "underactive": {"same": frozenset({"gluteus_medius", "quadratus_lumborum"})},
    },
    ("nasm_ces_2011", "single_leg_squat", "inward_trunk_rotation"): {
        "overactive": {
            "same": frozenset({"internal_oblique", "tensor_fasciae_latae", "adductor_complex"}),
            "opposite": frozenset({"external_oblique"}),
        },
        "underactive": {
            "same": frozenset({"external_oblique"}),
            "opposite": frozenset({"internal_oblique"}),
            "unspecified": frozenset({"gluteus_medius", "gluteus_maximus"}),
        },
    },
    ("nasm_ces_2011", "single_leg_squat", "outward_trunk_rotation"): {
        "overactive": {
            "same": frozenset({"external_oblique", "piriformis"}),
            "opposite": frozenset({"internal_oblique"}),
        },
        "underactive": {
            "same": frozenset({"internal_oblique"}),
            "opposite": frozenset({"external_oblique", "adductor_complex"}),
            "unspecified": frozenset({"gluteus_medius", "gluteus_maximus"}),
        },
    },
    # ---------------------------------------------------------------- nasm_ces_2011: push / pull (C, cpt4_6 column)
    ("nasm_ces_2011", "push", "low_back_arches"): {
        "overactive": {"same": frozenset({"hip_flexor_complex", "erector_spinae"})},
        "underactive": {"same": frozenset({"intrinsic_core_stabilizers"})},
    },
    ("nasm_ces_2011", "push", "shoulders_elevate"): {
        "overactive": {"same": frozenset({"upper_trapezius", "sternocleidomastoid", "levator_scapulae"})},
        "underactive": {"same": frozenset({"middle_trapezius", "lower_trapezius"})},
    },
    ("nasm_ces_2011", "push", "head_juts_forward"): {
        "overactive": {"same": frozenset({"upper_trapezius", "sternocleidomastoid", "levator_scapulae"})},
        "underactive": {"same": frozenset({"deep_cervical_flexors"})},
    },
    ("nasm_ces_2011", "pull", "low_back_arches"): {
        "overactive": {"same": frozenset({"hip_flexor_complex", "erector_spinae"})},
        "underactive": {"same": frozenset({"intrinsic_core_stabilizers"})},
    },
    ("nasm_ces_2011", "pull", "shoulders_elevate"): {
        "overactive": {"same": frozenset({"upper_trapezius", "sternocleidomastoid", "levator_scapulae"})},
        "underactive": {"same": frozenset({"middle_trapezius", "lower_trapezius"})},
    },
    ("nasm_ces_2011", "pull", "head_juts_forward"): {
        "overactive": {"same": frozenset({"upper_trapezius", "sternocleidomastoid", "levator_scapulae"})},
        "underactive": {"same": frozenset({"deep_cervical_flexors"})},
    },
    # ---------------------------------------------------------------- nasm_ces_2011: static posture (D, default)
    ("nasm_ces_2011", "static_posture", "pronation_distortion_syndrome"): {
        "overactive": {
            "same": frozenset(
                {
                    "gastrocnemius",
                    "soleus",
                    "peroneals",
                    "adductor_complex",
                    "iliotibial_band",
                    "hip_flexor_complex",
                    "biceps_femoris_short_head",
                }
            ),
        },
        "underactive": {
            "same": frozenset(
                {
                    "anterior_tibialis",
                    "posterior_tibialis",
                    "vastus_medialis",
                    "gluteus_maximus",
                    "gluteus_medius",
                    "hip_external_rotators",
                }
            ),
        },
    },
    ("nasm_ces_2011", "static_posture", "lower_crossed_syndrome"): {
        "overactive": {
            "same": frozenset(
                {
                    "gastrocnemius",
                    "soleus",
                    "hip_flexor_complex",
                    "adductor_complex",
                    "latissimus_dorsi",
                    "erector_spinae",
                }
            ),
        },
        "underactive": {
            "same": frozenset(
                {
                    "anterior_tibialis",
                    "posterior_tibialis",
                    "gluteus_maximus",
                    "gluteus_medius",
                    "transversus_abdominis",
                    "internal_oblique",
                }
            ),
        },
    },
    ("nasm_ces_2011", "static_posture", "upper_crossed_syndrome"): {
        "overactive": {
            "same": frozenset(
                {
                    "upper_trapezius",
                    "levator_scapulae",
                    "sternocleidomastoid",
                    "scalenes",
                    "latissimus_dorsi",
                    "teres_major",
                    "subscapularis",
                    "pectoralis_major",
                    "pectoralis_minor",
                }
            ),
        },
        "underactive": {
            "same": frozenset(
                {
                    "rhomboids",
                    "lower_trapezius",
                    "teres_minor",
                    "infraspinatus",
                    "serratus_anterior",
                    "deep_cervical_flexors",
                }
            ),
        },
    },
    # ---------------------------------------------------------------- nasm_cpt4_6: overhead squat (A.4)
    ("nasm_cpt4_6", "overhead_squat", "feet_turn_out"): {
        "overactive": {"same": frozenset({"soleus", "lateral_gastrocnemius", "biceps_femoris_short_head"})},
        "underactive": {
            "same": frozenset(
                {"medial_gastrocnemius", "medial_hamstring_complex", "gracilis", "sartorius", "popliteus"}
            ),
        },
    },
    ("nasm_cpt4_6", "overhead_squat", "knees_move_inward"): {
        "overactive": {
            "same": frozenset(
                {"adductor_complex", "biceps_femoris_short_head", "tensor_fasciae_latae", "vastus_lateralis"}
            ),
        },
        "underactive": {"same": frozenset({"gluteus_medius", "gluteus_maximus", "vastus_medialis_oblique"})},
    },
    ("nasm_cpt4_6", "overhead_squat", "excessive_forward_lean"): {
        "overactive": {"same": frozenset({"soleus", "gastrocnemius", "hip_flexor_complex", "abdominal_complex"})},
        "underactive": {"same": frozenset({"anterior_tibialis", "gluteus_maximus", "erector_spinae"})},
    },
    ("nasm_cpt4_6", "overhead_squat", "low_back_arches"): {
        "overactive": {"same": frozenset({"hip_flexor_complex", "erector_spinae", "latissimus_dorsi"})},
        "underactive": {
            "same": frozenset({"gluteus_maximus", "hamstring_complex", "intrinsic_core_stabilizers"}),
        },
    },
    ("nasm_cpt4_6", "overhead_squat", "arms_fall_forward"): {
        "overactive": {
            "same": frozenset({"latissimus_dorsi", "teres_major", "pectoralis_major", "pectoralis_minor"}),
        },
        "underactive": {
            "same": frozenset({"middle_trapezius", "lower_trapezius", "rhomboids", "rotator_cuff"}),
        },
    },
    # ---------------------------------------------------------------- nasm_cpt4_6: single-leg squat (B.2)
    ("nasm_cpt4_6", "single_leg_squat", "knee_valgus"): {
        "overactive": {
            "same": frozenset(
                {"adductor_complex", "biceps_femoris_short_head", "tensor_fasciae_latae", "vastus_lateralis"}
            ),
        },
        "underactive": {"same": frozenset({"gluteus_medius", "gluteus_maximus", "vastus_medialis_oblique"})},
    },
    # ---------------------------------------------------------------- nasm_cpt4_6: push / pull (C)
    ("nasm_cpt4_6", "push", "low_back_arches"): {
        "overactive": {"same": frozenset({"hip_flexor_complex", "erector_spinae"})},
        "underactive": {"same": frozenset({"intrinsic_core_stabilizers"})},
    },
    ("nasm_cpt4_6", "push", "shoulders_elevate"): {
        "overactive": {"same": frozenset({"upper_trapezius", "sternocleidomastoid", "levator_scapulae"})},
        "underactive": {"same": frozenset({"middle_trapezius", "lower_trapezius"})},
    },
    ("nasm_cpt4_6", "push", "head_juts_forward"): {
        "overactive": {"same": frozenset({"upper_trapezius", "sternocleidomastoid", "levator_scapulae"})},
        "underactive": {"same": frozenset({"deep_cervical_flexors"})},
    },
    ("nasm_cpt4_6", "pull", "low_back_arches"): {
        "overactive": {"same": frozenset({"hip_flexor_complex", "erector_spinae"})},
        "underactive": {"same": frozenset({"intrinsic_core_stabilizers"})},
    },
    ("nasm_cpt4_6", "pull", "shoulders_elevate"): {
        "overactive": {"same": frozenset({"upper_trapezius", "sternocleidomastoid", "levator_scapulae"})},
        "underactive": {"same": frozenset({"middle_trapezius", "lower_trapezius"})},
    },
    ("nasm_cpt4_6", "pull", "head_juts_forward"): {
        "overactive": {"same": frozenset({"upper_trapezius", "sternocleidomastoid", "levator_scapulae"})},
        "underactive": {"same": frozenset({"deep_cervical_flexors"})},
    },
    # ---------------------------------------------------------------- nasm_cpt7_2021: overhead squat (A.5)
    ("nasm_cpt7_2021", "overhead_squat", "feet_turn_out"): {
        "overactive": {"same": frozenset({"gastrocnemius", "soleus", "hamstring_complex"})},
        "underactive": {
            "same": frozenset({"anterior_tibialis", "posterior_tibialis", "gluteus_maximus", "gluteus_medius"}),
        },
    },
    ("nasm_cpt7_2021", "overhead_squat", "knees_move_inward"): {
        "overactive": {"same": frozenset({"tensor_fasciae_latae", "adductor_complex"})},
        "underactive": {
            "same": frozenset({"gluteus_maximus", "gluteus_medius", "anterior_tibialis", "posterior_tibialis"}),
        },
    },
    ("nasm_cpt7_2021", "overhead_squat", "low_back_arches"): {
        "overactive": {"same": frozenset({"hip_flexor_complex", "erector_spinae", "latissimus_dorsi"})},
        "underactive": {"same": frozenset({"gluteus_maximus", "hamstring_complex", "abdominals"})},
    },
    ("nasm_cpt7_2021", "overhead_squat", "excessive_forward_lean"): {
        "overactive": {
            "same": frozenset(
                {"hip_flexor_complex", "gastrocnemius", "soleus", "rectus_abdominis", "external_oblique"}
            ),
        },
        "underactive": {"same": frozenset({"gluteus_maximus", "hamstring_complex", "erector_spinae"})},
    },
    ("nasm_cpt7_2021", "overhead_squat", "arms_fall_forward"): {
        "overactive": {
            "same": frozenset({"latissimus_dorsi", "pectoralis_major", "pectoralis_minor", "teres_major"}),
        },
        "underactive": {
            "same": frozenset(
                {"middle_trapezius", "lower_trapezius", "rhomboids", "posterior_deltoid", "rotator_cuff"}
            ),
        },
    },
    # ---------------------------------------------------------------- nasm_cpt7_2021: single-leg squat (B.2)
    ("nasm_cpt7_2021", "single_leg_squat", "knee_valgus"): {
        "overactive": {"same": frozenset({"tensor_fasciae_latae", "adductor_complex"})},
        "underactive": {
            "same": frozenset({"gluteus_maximus", "gluteus_medius", "anterior_tibialis", "posterior_tibialis"}),
        },
    },
    # ---------------------------------------------------------------- nasm_cpt7_2021: push / pull (C, cpt7 column)
    ("nasm_cpt7_2021", "push", "low_back_arches"): {
        "overactive": {"same": frozenset({"hip_flexor_complex", "erector_spinae"})},
        "underactive": {"same": frozenset({"gluteus_maximus", "hamstring_complex", "abdominals"})},
    },
    ("nasm_cpt7_2021", "push", "shoulders_elevate"): {
        "overactive": {"same": frozenset({"levator_scapulae", "upper_trapezius"})},
        "underactive": {"same": frozenset({"lower_trapezius"})},
    },
    ("nasm_cpt7_2021", "push", "head_juts_forward"): {
        "overactive": {"same": frozenset({"levator_scapulae", "sternocleidomastoid"})},
        "underactive": {"same": frozenset({"deep_cervical_flexors"})},
    },
    ("nasm_cpt7_2021", "pull", "low_back_arches"): {
        "overactive": {"same": frozenset({"hip_flexor_complex", "erector_spinae"})},
        "underactive": {"same": frozenset({"gluteus_maximus", "hamstring_complex", "abdominals"})},
    },
    ("nasm_cpt7_2021", "pull", "shoulders_elevate"): {
        "overactive": {"same": frozenset({"levator_scapulae", "upper_trapezius"})},
        "underactive": {"same": frozenset({"lower_trapezius"})},
    },
    ("nasm_cpt7_2021", "pull", "head_juts_forward"): {
        "overactive": {"same": frozenset({"levator_scapulae", "sternocleidomastoid"})},
        "underactive": {"same": frozenset({"deep_cervical_flexors"})},
    },
    # ---------------------------------------------------------------- nasm_cpt7_2021: static posture (D, CPT7 column)
    ("nasm_cpt7_2021", "static_posture", "pronation_distortion_syndrome"): {
        "overactive": {"same": frozenset({"gastrocnemius", "soleus", "adductor_complex", "hip_flexor_complex"})},
        "underactive": {
            "same": frozenset({"anterior_tibialis", "posterior_tibialis", "gluteus_maximus", "gluteus_medius"}),
        },
    },
    ("nasm_cpt7_2021", "static_posture", "lower_crossed_syndrome"): {
        "overactive": {"same": frozenset({"hip_flexor_complex", "erector_spinae"})},
        "underactive": {
            "same": frozenset({"gluteus_maximus", "gluteus_medius", "hamstring_complex", "abdominals"}),
        },
    },
    ("nasm_cpt7_2021", "static_posture", "upper_crossed_syndrome"): {
        "overactive": {
            "same": frozenset(
                {
                    "pectoralis_major",
                    "pectoralis_minor",
                    "levator_scapulae",
                    "sternocleidomastoid",
                    "upper_trapezius",
                }
            ),
        },
        "underactive": {
            "same": frozenset({"middle_trapezius", "lower_trapezius", "rhomboids", "deep_cervical_flexors"}),
        },
    },
}
