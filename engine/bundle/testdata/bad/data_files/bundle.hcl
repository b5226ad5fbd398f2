bundle "data-files" {}
