project_id = "GCP PROJECT ID"
bucket_name = "BUCKET NAME"
storage_class = "STORAGE CLASS"
bucket_location = "LOCATION"
