terraform {
  required_version = ">= 1.5"

  required_providers {
    # Only arguments valid from 3.39 (the twin) to 6.x are used here.
    aws = {
      source  = "hashicorp/aws"
      version = ">= 3.39"
    }
  }
}
