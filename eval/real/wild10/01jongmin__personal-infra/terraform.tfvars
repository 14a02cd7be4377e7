project_id = "personal-348615"
region     = "us-east1"
