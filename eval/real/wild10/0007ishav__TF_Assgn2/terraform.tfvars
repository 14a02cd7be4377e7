Name        = ["Ishav1", "Ishav2"]
ami_value = "ami-099b3d23e336c2e83"
# sub = "value"
ins_type = "t2.micro"
tags = {
    
    owner     = "ishav@cloudeq.com"
    purpose   = "Training"
}
volume_tags = {
    
    owner     = "ishav@cloudeq.com"
    purpose   = "Training"
}
