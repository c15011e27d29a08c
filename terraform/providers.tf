provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ Project = "offload", Stack = var.name }, var.tags)
  }
}
