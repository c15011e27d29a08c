output "activation_id" {
  description = "SSM activation id for the ECS Anywhere install script."
  value       = aws_ssm_activation.this.id
}

output "activation_code" {
  description = "SSM activation code: a secret, shown only with terraform output -raw."
  value       = aws_ssm_activation.this.activation_code
  sensitive   = true
}

output "activation_expires" {
  description = "When the activation expires (RFC 3339)."
  value       = aws_ssm_activation.this.expiration_date
}

output "registration_limit" {
  description = "How many hosts may register with the activation."
  value       = aws_ssm_activation.this.registration_limit
}

output "instance_role_name" {
  description = "Role of the on-prem hosts' agents."
  value       = aws_iam_role.this.name
}
