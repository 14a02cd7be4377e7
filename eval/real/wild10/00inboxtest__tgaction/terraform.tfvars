project_id = "custom-valve-332208"
region     = "europe-west2"