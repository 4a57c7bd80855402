"""app.py: the smallest PySpark application, the README's upload example.

Upload it and run it through the gateway:
    curl ... --data-binary @examples/app.py "$BPG_URL/s3/app.py?folder=jobs"
    bpg submit --spark-version 3.5 --main-file s3a://bpg/uploaded/jobs/app.py
"""
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("app").getOrCreate()
n = spark.range(1, 1001).selectExpr("sum(id) AS total").first()["total"]
print("sum of 1..1000 = %d" % n)
spark.stop()
