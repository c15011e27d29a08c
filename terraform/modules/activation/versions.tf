terraform {
  required_version = ">= 1.5"

  required_providers {
    # Only arguments valid from 3.39 (the twin) to 6.x are used here; 7.x is untested.
    aws = {
      source = "hashicorp/aws"
      # twin: omit
      version = ">= 5.0, < 7.0"
      # twin: end
      # twin: instead (the twin's copy runs provider 3.39)
      # version = ">= 3.39, < 7.0"
      # twin: end
    }
  }
}
