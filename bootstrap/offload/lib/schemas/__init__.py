"""Schema files for operators: `offload schema check` (lint) reads one as the worker would."""
