# VPC Variable Values
region                = "us-east-1"
vpc-cidr              = "10.0.0.0/16"
public-subnet-1-cidr  = "10.0.0.0/24"
public-subnet-2-cidr  = "10.0.1.0/24"
private-subnet-1-cidr = "10.0.2.0/24"
private-subnet-2-cidr = "10.0.3.0/24"
private-subnet-3-cidr = "10.0.4.0/24"
private-subnet-4-cidr = "10.0.5.0/24"
