project_name  = "${{ values.project_name }}"
instance_type = "${{ values.instance_type }}"
